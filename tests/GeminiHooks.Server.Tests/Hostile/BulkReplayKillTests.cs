using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>A bulk replay whose process is killed (<c>kill -9</c>) mid-way resumes in the next process and queues no event twice.</summary>
public class BulkReplayKillTests(ITestOutputHelper output)
{
    const string AdminKey = "bulk-replay-kill-key-0123456789abcd";
    // Enough pages (200 events each) that the replay is still running when the test, which looks every few
    // milliseconds, sees its first page and kills the process.
    const int Events = 40_000;
    const int Concurrency = 16;

    static Dictionary<string, string> Settings(string database, string downstream, int port, bool dispatch) => new()
    {
        ["GeminiHooks__Dispatch__Enabled"] = dispatch ? "true" : "false",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
        ["GeminiHooks__Store__ConnectionString"] = $"Data Source={database}",
        ["GeminiHooks__Static__Secrets__0"] = ServerProcess.Secret,
        ["GeminiHooks__Admin__ApiKey"] = AdminKey,
        ["GeminiHooks__Handlers__forward__Type"] = "http",
        ["GeminiHooks__Handlers__forward__Url"] = downstream,
        ["GeminiHooks__Handlers__forward__Secret"] = ServerProcess.Secret,
        ["GeminiHooks__Dispatch__Concurrency"] = Concurrency.ToString(CultureInfo.InvariantCulture),
        // A run leased by the killed process is taken over within seconds.
        ["GeminiHooks__Dispatch__Lease"] = "00:00:03",
    };

    static async Task<(ChildProcess Process, HttpClient Client)> StartAsync(string database, string downstream, bool dispatch)
    {
        var port = ChildProcess.FreePort();
        var process = ChildProcess.Start("dotnet", ["GeminiHooks.Server.dll"], await PublishedServer.DirectoryAsync(),
            Settings(database, downstream, port, dispatch));
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await process.WaitUntilAnswersAsync(client, "/readyz", TimeSpan.FromSeconds(60));
        return (process, client);
    }

    /// <summary>Events already handled once, written through the store itself (as a receiver that ran for a while would have).</summary>
    static async Task SeedAsync(string database)
    {
        await using (var store = new SqliteEventStore(new StoreOptions { ConnectionString = $"Data Source={database}" }, TimeProvider.System,
            NullLogger<SqliteEventStore>.Instance))
        {
            await store.InitializeAsync(CancellationToken.None);
            var now = DateTimeOffset.UtcNow;
            await Task.WhenAll(Enumerable.Range(0, Events).Select(i => store.AcceptAsync(new IncomingDelivery("static", $"msg_kill_{i}",
                now.ToUnixTimeSeconds(), now, "batch.failed", Encoding.UTF8.GetBytes(Receiver.Event("batch.failed", $"batches/kill{i}")),
                ["forward"]), CancellationToken.None)));
        }
        Execute(database, "UPDATE handler_runs SET status = 'succeeded', attempts = 1; UPDATE events SET status = 'done'");
    }

    static void Execute(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    static (long Enqueued, string Status) Progress(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT enqueued, status FROM replays";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : (0, "none");
    }

    static long Unfinished(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM handler_runs WHERE status IN ('pending', 'running')";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_bulk_replay_killed_mid_way_resumes_after_a_restart_and_queues_no_event_twice()
    {
        using var data = new TempDirectory();
        var database = data.File("geminihooks.db");
        await using var downstream = await LoopbackReceiver.StartAsync();
        await SeedAsync(database);

        // The first process only queues (no dispatcher), so no run is in flight when it dies: after the restart every
        // event must reach the handler exactly once.
        var (first, client) = await StartAsync(database, downstream.Url("/hook"), dispatch: false);
        string replayId;
        long enqueuedAtKill;
        await using (first)
        using (client)
        {
            using var content = new StringContent("""{"filter": {"type": "batch.failed"}}""", Encoding.UTF8, "application/json");
            using var started = await client.PostAsync("/admin/replays", content);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            using (var body = JsonDocument.Parse(await started.Content.ReadAsStringAsync()))
            {
                replayId = body.RootElement.GetProperty("id").GetString()!;
                Assert.Equal(Events, body.RootElement.GetProperty("matched").GetInt64());
            }
            // As soon as a page is committed the process is killed; what the replay had committed when it died is read
            // afterwards, from the file it left. (Holding the database's write lock to stop the replay does not work:
            // a waiting BEGIN sleeps 150 ms between tries, and the replay's pages leave the lock free only for moments.)
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (Progress(database).Enqueued == 0 && DateTime.UtcNow < deadline)
                await Task.Delay(2);
            first.Kill();
            string statusAtKill;
            (enqueuedAtKill, statusAtKill) = Progress(database);
            Assert.True(enqueuedAtKill > 0, "the replay committed no page within a minute");
            Assert.True(statusAtKill == "running", $"the replay finished ({enqueuedAtKill}) before the test could stop it mid-way");
        }
        var callsAtKill = downstream.Requests.Count;
        output.WriteLine($"killed with {enqueuedAtKill} of {Events} queued and {callsAtKill} handler calls made");
        Assert.InRange(enqueuedAtKill, 1, Events - 1);

        // The next process takes the replay over once the dead one's lease ends (a minute) and finishes it.
        var (second, again) = await StartAsync(database, downstream.Url("/hook"), dispatch: true);
        await using (second)
        using (again)
        {
            string? last = null;
            await Eventually.UntilAsync(async () =>
            {
                last = await again.GetStringAsync($"/admin/replays/{replayId}");
                return JsonDocument.Parse(last).RootElement.GetProperty("status").GetString() == "done";
            }, () => "the replay is resumed and finished: " + last, TimeSpan.FromSeconds(150));
            using (var done = JsonDocument.Parse(last!))
                Assert.Equal(Events, done.RootElement.GetProperty("enqueued").GetInt64()); // no page counted twice
            await Eventually.UntilAsync(() => Task.FromResult(Unfinished(database) == 0), "every queued run is handled",
                TimeSpan.FromSeconds(120));
        }

        // Each event reached the handler exactly once more: a page queued again after its runs were handled would
        // repeat hundreds.
        var calls = downstream.Requests.GroupBy(r => r.Headers["webhook-id"]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Events, calls.Count);
        var repeated = calls.Where(c => c.Value > 1).ToList();
        output.WriteLine($"{downstream.Requests.Count} calls, {repeated.Count} repeated");
        Assert.True(repeated.Count == 0, $"{repeated.Count} events were handled twice: " + string.Join(", ", repeated.Take(10)));
    }
}
