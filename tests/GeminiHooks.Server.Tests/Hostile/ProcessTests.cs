using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>
/// The published server run as processes (as the Dockerfile runs it): two processes on one jsonl file, an unusable
/// SQLite path, and <c>kill -9</c> under load.
/// </summary>
public class ProcessTests(ITestOutputHelper output)
{
    /// <summary>A published server process on a data folder the test owns, so it can be killed and started again on the same files.</summary>
    sealed class Server : IAsyncDisposable
    {
        readonly ChildProcess _process;
        public HttpClient Client { get; }

        Server(ChildProcess process, int port)
        {
            _process = process;
            Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        }

        public string Log => _process.Log;

        public static async Task<Server> StartAsync(string database, string archive, IDictionary<string, string>? extra = null)
        {
            var app = await PublishedServer.DirectoryAsync();
            var port = ChildProcess.FreePort();
            var settings = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
                ["GeminiHooks__Store__ConnectionString"] = $"Data Source={database}",
                ["GeminiHooks__Static__Secrets__0"] = ServerProcess.Secret,
                ["GeminiHooks__Handlers__archive__Type"] = "jsonl",
                ["GeminiHooks__Handlers__archive__Path"] = archive,
            };
            foreach (var (key, value) in extra ?? new Dictionary<string, string>())
                settings[key] = value;
            return new Server(ChildProcess.Start("dotnet", ["GeminiHooks.Server.dll"], app, settings), port);
        }

        public Task WaitUntilUpAsync() => _process.WaitUntilAnswersAsync(Client, "/readyz", TimeSpan.FromSeconds(60));

        public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

        /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill.</summary>
        public void Kill9() => _process.Kill();

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _process.DisposeAsync();
        }
    }

    static string[] ArchivedIds(string archive) => !File.Exists(archive) ? [] :
        File.ReadAllLines(archive).Where(l => l.Length > 0).Select(l =>
        {
            try { return JsonDocument.Parse(l).RootElement.GetProperty("webhook_id").GetString()!; }
            catch (JsonException) { return "(partial line)"; }
        }).ToArray();

    static async Task<HttpStatusCode> SendAsync(HttpClient client, string id)
    {
        using var request = ServerProcess.Delivery(id, Receiver.Event(id: "batches/" + id));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_second_process_on_the_same_jsonl_file_stops_with_one_line_and_the_first_archives_every_event_once()
    {
        using var data = new TempDirectory();
        var archive = data.File("archive.jsonl");
        await using var first = await Server.StartAsync(data.File("first.db"), archive);
        await first.WaitUntilUpAsync();

        await using var second = await Server.StartAsync(data.File("second.db"), archive);
        Assert.Equal(2, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var lines = second.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines, l => l.Contains("GeminiHooks:Handlers:archive:Path", StringComparison.Ordinal));
        Assert.Contains("in use by another process", line);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal)); // no stack trace

        var ids = Enumerable.Range(0, 60).Select(i => $"msg_shared_{i}").ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
            Assert.Equal(HttpStatusCode.OK, await SendAsync(first.Client, id)));
        await Eventually.UntilAsync(() => ArchivedIds(archive).Length >= ids.Count, "every event is archived", TimeSpan.FromSeconds(30));
        var archived = ArchivedIds(archive);
        Assert.Equal(ids.Order(), archived.Order()); // every event exactly once
    }

    [Theory]
    [InlineData("/proc/geminihooks/geminihooks.db")] // a directory that cannot be created
    [InlineData("/proc/version")]                    // a read-only file that is not a database
    public async Task An_unusable_SQLite_path_stops_the_start_with_one_line_naming_the_key_and_exit_code_2(string database)
    {
        using var data = new TempDirectory();
        await using var server = await Server.StartAsync(database, data.File("archive.jsonl"));
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var lines = server.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        output.WriteLine(server.Log);
        var line = Assert.Single(lines, l => l.Contains("GeminiHooks:Store:ConnectionString", StringComparison.Ordinal));
        Assert.StartsWith("Configuration error: GeminiHooks:Store:ConnectionString: the SQLite database", line);
        Assert.Contains(database, line);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal) || l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    /// <summary>
    /// Five rounds of about 2 s of load, each ended by SIGKILL, then a restart on the same SQLite file and jsonl archive.
    /// Every acknowledged delivery (200) must be in the store exactly once (the unique index) and end up dispatched.
    /// The archive is checked "at least once": its "already written" index is read back from the file at start, but a
    /// run that was in flight at the kill (line synced, success not yet stored) is run again after the restart and may
    /// then be written a second time; a delivery never acknowledged may also be stored and archived, that is allowed.
    /// </summary>
    [Fact]
    public async Task Kill_9_under_load_loses_no_acknowledged_delivery_and_every_one_is_dispatched()
    {
        const int rounds = 5;
        using var data = new TempDirectory();
        var database = data.File("geminihooks.db");
        var archive = data.File("archive.jsonl");
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var sent = 0;
        for (var round = 0; round < rounds; round++)
        {
            await using var server = await Server.StartAsync(database, archive, ShortLease);
            await server.WaitUntilUpAsync();
            using var load = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
            {
                for (var i = 0; !load.IsCancellationRequested; i++)
                {
                    var id = $"msg_crash_{round}_{worker}_{i}";
                    Interlocked.Increment(ref sent);
                    try
                    {
                        if (await SendAsync(server.Client, id) == HttpStatusCode.OK)
                            acknowledged[id] = true;
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        return; // the process was killed mid-request: not acknowledged
                    }
                }
            })).ToList();
            await Task.Delay(TimeSpan.FromSeconds(2));
            server.Kill9();
            await load.CancelAsync();
            await Task.WhenAll(senders);
        }

        // The last restart: drains whatever the killed processes left pending.
        await using (var final = await Server.StartAsync(database, archive, ShortLease))
        {
            await final.WaitUntilUpAsync();
            await Eventually.UntilAsync(() => Pending(database) == 0, "the restart drains every pending pair", TimeSpan.FromSeconds(30));
        }

        var stored = StoredStatuses(database);
        var archived = ArchivedIds(archive);
        var archivedSet = archived.ToHashSet();
        var inStore = acknowledged.Keys.Count(stored.ContainsKey);
        var dispatched = acknowledged.Keys.Count(id => stored.TryGetValue(id, out var s) && s == "done" && archivedSet.Contains(id));
        output.WriteLine($"rounds {rounds}, sent {sent}, acknowledged {acknowledged.Count}, in store {inStore}, " +
                         $"dispatched {dispatched}, archive lines {archived.Length} ({archived.Length - archivedSet.Count} repeated)");
        Assert.True(acknowledged.Count > rounds * 10, $"too little load got through: {acknowledged.Count}");
        Assert.Equal(acknowledged.Count, inStore);
        Assert.Equal(acknowledged.Count, dispatched);
        Assert.Equal(0, Pending(database));
    }

    // A run leased by a killed process is taken over when its lease expires; short, so the test drains in seconds.
    static readonly Dictionary<string, string> ShortLease = new() { ["GeminiHooks__Dispatch__Lease"] = "00:00:03" };

    static Dictionary<string, string> StoredStatuses(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT webhook_id, status FROM events";
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal); // throws on a duplicate id: exactly once
        using var reader = command.ExecuteReader();
        while (reader.Read())
            statuses.Add(reader.GetString(0), reader.GetString(1));
        return statuses;
    }

    static long Pending(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM events WHERE status = 'pending'";
        return (long)command.ExecuteScalar()!;
    }
}
