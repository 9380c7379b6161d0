using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace GeminiHooks.Server.Tests.Replicas;

/// <summary>One bulk replay on two receivers that share a PostgreSQL database: counted on one, started on the other, worked once.</summary>
public class BulkReplayReplicaTests
{
    const string AdminKey = "bulk-replay-replicas-key-0123456789";
    const int Events = 600;

    [Fact]
    public async Task A_replay_started_on_one_replica_queues_each_matching_event_once_and_both_see_its_progress()
    {
        using var data = new TempDirectory();
        var database = await TestPostgres.CreateDatabaseAsync();
        var log = new RunLog();
        var admin = new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = AdminKey };
        await using var a = ReplicaTests.Replica("a", data, database, log, admin);
        await using var b = ReplicaTests.Replica("b", data, database, log, admin);
        using var clientA = a.Start();
        using var clientB = b.Start();
        foreach (var client in new[] { clientA, clientB })
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        // Half the events are failed batches, delivered to either replica.
        using var throttle = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(0, Events).Select(async i =>
        {
            var (replica, client) = i % 2 == 0 ? (a, clientA) : (b, clientB);
            await throttle.WaitAsync();
            try
            {
                using var response = await client.SendAsync(replica.SignedStatic($"msg_bulk_{i}",
                    Receiver.Event(i % 4 < 2 ? "batch.failed" : "batch.succeeded", $"batches/bulk{i}")));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            finally
            {
                throttle.Release();
            }
        }));
        await Eventually.UntilAsync(() => Task.FromResult(log.RunsByWebhookId.Count == Events), "every event is handled once",
            TimeSpan.FromSeconds(60));

        const string Filter = """{"filter": {"type": "batch.failed"}""";
        var (dryStatus, dry) = await PostAsync(clientB, Filter + """, "dry_run": true}""");
        using (dry)
        {
            Assert.Equal(HttpStatusCode.OK, dryStatus);
            Assert.Equal(Events / 2, dry.RootElement.GetProperty("matched").GetInt64());
        }
        string id;
        var (startStatus, started) = await PostAsync(clientA, Filter + "}");
        using (started)
        {
            Assert.Equal(HttpStatusCode.Accepted, startStatus);
            Assert.Equal(Events / 2, started.RootElement.GetProperty("matched").GetInt64());
            id = started.RootElement.GetProperty("id").GetString()!;
        }
        // Either replica answers for the replay: the progress is in the shared store.
        string? last = null;
        await Eventually.UntilAsync(async () =>
        {
            last = await clientB.GetStringAsync($"/admin/replays/{id}");
            return JsonDocument.Parse(last).RootElement.GetProperty("status").GetString() == "done";
        }, () => "the replay finishes: " + last, TimeSpan.FromSeconds(60));
        using (var done = JsonDocument.Parse(last!))
            Assert.Equal(Events / 2, done.RootElement.GetProperty("enqueued").GetInt64());

        await Eventually.UntilAsync(() => Task.FromResult(log.RunsByWebhookId.Values.Sum() == Events + Events / 2),
            "the replayed events are handled again", TimeSpan.FromSeconds(60));
        await Task.Delay(500);
        Assert.Equal(Events + Events / 2, log.RunsByWebhookId.Values.Sum());
        for (var i = 0; i < Events; i++)
            Assert.Equal(i % 4 < 2 ? 2 : 1, log.RunsByWebhookId[$"msg_bulk_{i}"]);
        Assert.Equal(1, log.MaxConcurrentPerId);
    }

    static async Task<(HttpStatusCode Status, JsonDocument Body)> PostAsync(HttpClient client, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/admin/replays", content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }
}
