using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Server.Tests.Ingest;

public class DurabilityTests
{
    [Fact]
    public async Task Fifty_concurrent_deliveries_of_one_id_give_exactly_one_accepted_and_a_restart_keeps_it()
    {
        using var data = new TempDirectory();
        var body = Receiver.Event();
        long signedAt;
        await using (var receiver = new Receiver(data.Path))
        {
            using var client = receiver.Start();
            signedAt = receiver.Now;
            var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
            {
                using var response = await client.SendAsync(receiver.SignedStatic("msg_race", body, timestamp: signedAt));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return await response.Content.ReadAsStringAsync();
            }));
            Assert.Equal(1, answers.Count(a => a == """{"status":"accepted"}"""));
            Assert.Equal(49, answers.Count(a => a == """{"status":"duplicate"}"""));
        }

        await using (var restarted = new Receiver(data.Path))
        {
            using var client = restarted.Start();
            using var response = await client.SendAsync(restarted.SignedStatic("msg_race", body));
            Assert.Equal("""{"status":"duplicate"}""", await response.Content.ReadAsStringAsync());
        }
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data.Path, "geminihooks.db")};Pooling=False");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM events WHERE webhook_id = 'msg_race'";
        Assert.Equal(1L, count.ExecuteScalar());
    }

    [Fact]
    public async Task Many_distinct_concurrent_deliveries_are_all_accepted_and_all_on_disk_when_answered()
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path);
        using var client = receiver.Start();
        var accepted = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            using var response = await client.SendAsync(receiver.SignedStatic($"msg_{i}", Receiver.Event(id: $"batches/{i}")));
            return (await response.Content.ReadAsStringAsync()) == """{"status":"accepted"}""";
        }));
        Assert.All(accepted, Assert.True);
        // Read by another connection while the server still runs: every answered row is committed.
        using var connection = new SqliteConnection($"Data Source={receiver.DatabaseFile};Pooling=False");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM events";
        Assert.Equal(300L, count.ExecuteScalar());
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task Without_reconciliation_one_job_delivered_by_two_registered_webhooks_is_handled_once_and_the_second_is_a_follower(string store)
    {
        // Two registered webhooks with one URL deliver one job's completion twice, under different webhook ids.
        using var data = new TempDirectory();
        var archive = Path.Combine(data.Path, "archive.jsonl");
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
            ["GeminiHooks:Handlers:archive:Path"] = archive,
            ["GeminiHooks:Dispatch:PollInterval"] = "00:00:00.200",
        };
        var database = store == "Postgres" ? await TestPostgres.CreateDatabaseAsync() : null;
        if (database is not null)
        {
            settings["GeminiHooks:Store:Provider"] = "Postgres";
            settings["GeminiHooks:Store:ConnectionString"] = database;
        }
        try
        {
            await using var receiver = new Receiver(data.Path, settings);
            using var client = receiver.Start();
            using (var first = await client.SendAsync(receiver.SignedStatic("msg_job_a", Receiver.Event(id: "batches/same-job"))))
                Assert.Equal("""{"status":"accepted"}""", await first.Content.ReadAsStringAsync());
            using (var second = await client.SendAsync(receiver.SignedStatic("msg_job_b", Receiver.Event(id: "same-job"))))
            {
                Assert.Equal(HttpStatusCode.OK, second.StatusCode);
                Assert.Equal("""{"status":"duplicate"}""", await second.Content.ReadAsStringAsync());
            }

            await Eventually.UntilAsync(() => File.Exists(archive) && File.ReadAllLines(archive).Length == 1, "the first delivery is handled");
            var events = receiver.Services.GetRequiredService<GeminiHooks.Storage.IEventStore>();
            var later = await events.GetEventAsync("static", "msg_job_b", CancellationToken.None);
            Assert.Equal(("done", 0), (later!.Status, later.Handlers.Count));
            var followers = await ((GeminiHooks.Reconciliation.IJobStore)events)
                .FollowersAsync(new GeminiHooks.Reconciliation.JobKey("batch", "same-job"), CancellationToken.None);
            Assert.Equal(("duplicate", "msg_job_b"), (Assert.Single(followers).Kind, followers[0].WebhookId));
            await Task.Delay(500);
            Assert.Single(File.ReadAllLines(archive));
        }
        finally
        {
            if (database is not null)
                await TestPostgres.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task A_store_that_cannot_be_written_answers_503_with_Retry_After_and_recovers_without_a_restart()
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            // Wait one second for a lock held elsewhere before counting the store as unavailable.
            ["GeminiHooks:Store:ConnectionString"] = $"Data Source={Path.Combine(data.Path, "geminihooks.db")};Default Timeout=1",
            ["GeminiHooks:Admin:ApiKey"] = "admin-key-0123456789abcdef012345",
        });
        using var client = receiver.Start();
        using (var first = await client.SendAsync(receiver.SignedStatic("msg_before", Receiver.Event())))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // Another process holds the write lock (a backup tool, a stuck migration...).
        using (var blocker = new SqliteConnection($"Data Source={receiver.DatabaseFile};Pooling=False"))
        {
            blocker.Open();
            using var transaction = blocker.BeginTransaction(deferred: false);
            using var hold = blocker.CreateCommand();
            hold.Transaction = transaction;
            hold.CommandText = "INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status) VALUES ('x','lock',0,0,'x',x'7b7d','done')";
            hold.ExecuteNonQuery();

            using var blocked = await client.SendAsync(receiver.SignedStatic("msg_blocked", Receiver.Event(id: "batches/blocked")));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, blocked.StatusCode);

            // A redelivery of what this process stored is answered from its recent ids, without the write path the
            // lock blocks: still a 200 duplicate.
            using (var redelivered = await client.SendAsync(receiver.SignedStatic("msg_before", Receiver.Event())))
                Assert.Equal("""{"status":"duplicate"}""", await redelivered.Content.ReadAsStringAsync());
            Assert.Equal(TimeSpan.FromSeconds(10), blocked.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", blocked.Content.Headers.ContentType?.MediaType);

            // The operator API answers the same way when a write cannot reach the store.
            using var replay = new HttpRequestMessage(HttpMethod.Post, "/admin/dead-letters/replay");
            replay.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin-key-0123456789abcdef012345");
            using var replayed = await client.SendAsync(replay);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, replayed.StatusCode);
            Assert.NotNull(replayed.Headers.RetryAfter);
            Assert.Equal("application/problem+json", replayed.Content.Headers.ContentType?.MediaType);
            transaction.Rollback();
        }

        using var retried = await client.SendAsync(receiver.SignedStatic("msg_blocked", Receiver.Event(id: "batches/blocked")));
        Assert.Equal("""{"status":"accepted"}""", await retried.Content.ReadAsStringAsync());
        using var earlier = await client.SendAsync(receiver.SignedStatic("msg_before", Receiver.Event()));
        Assert.Equal("""{"status":"duplicate"}""", await earlier.Content.ReadAsStringAsync());
    }
}
