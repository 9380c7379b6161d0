using GeminiHooks.Hosting;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;

namespace GeminiHooks.Brokers.Tests;

/// <summary>
/// The shared <see cref="TestHost"/> with the broker handler types, the real clock, short retry delays and every log
/// line captured; the handler under test is named <c>bus</c>. Adds what only the broker tests need: events that name
/// their delivery (so the reader's copy can be compared), waits over many deliveries, and a simulated crash.
/// </summary>
sealed class BrokerTestHost : IAsyncDisposable
{
    public const string Endpoint = TestHost.Endpoint;
    const string Handler = "bus";

    readonly TempDirectory _dir;
    readonly TestHost _host;

    BrokerTestHost(TempDirectory dir, TestHost host, CapturedLogs logs)
    {
        _dir = dir;
        _host = host;
        Logs = logs;
    }

    public HttpClient Client => _host.Client;
    public CapturedLogs Logs { get; }
    string DatabasePath => _dir.File("events.db");

    static readonly Dictionary<string, string?> ShortRetries = new(StringComparer.Ordinal)
    {
        ["GeminiHooks:Dispatch:PollInterval"] = "00:00:00.200",
        ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:00.200",
        ["GeminiHooks:Dispatch:RetryMaxDelay"] = "00:00:01",
        ["GeminiHooks:Dispatch:MaxAttempts"] = "1000",
        ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
    };

    /// <summary>The configured WebApplication with the broker types, before start (start-up validation tests).</summary>
    public static WebApplication Build(IDictionary<string, string?> settings, IEventStore store, CapturedLogs logs) =>
        TestHost.Build(settings, TimeProvider.System, store, hooks => hooks.Services.AddGeminiHooksBrokers(), logs: logs);

    /// <param name="handler">The handler's settings without the <c>GeminiHooks:Handlers:bus:</c> prefix.</param>
    public static async Task<BrokerTestHost> StartAsync(IDictionary<string, string?> handler, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(ShortRetries, StringComparer.Ordinal);
        foreach (var (key, value) in handler)
            settings[$"GeminiHooks:Handlers:{Handler}:{key}"] = value;
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            settings[key] = value;
        var dir = new TempDirectory();
        var logs = new CapturedLogs();
        var host = await TestHost.StartAsync(dir, settings, hooks => hooks.Services.AddGeminiHooksBrokers(),
            time: TimeProvider.System, logs: logs);
        return new BrokerTestHost(dir, host, logs);
    }

    /// <summary>A Gemini-shaped event whose data and user_metadata name the delivery, so the reader's copy can be compared.</summary>
    public static string Body(string type, string webhookId) =>
        $$$"""{"type":"{{{type}}}","version":"v1","timestamp":"2026-11-20T10:15:00Z","user_metadata":{"job":"{{{webhookId}}}"},"data":{"id":"batches/{{{webhookId}}}","state":"done"}}""";

    public Task<string> AcceptAsync(string type)
    {
        var webhookId = "msg_" + Guid.NewGuid().ToString("N");
        return _host.AcceptAsync(type, Body(type, webhookId), webhookId);
    }

    public Task<HandlerRun?> RunAsync(string webhookId) => _host.RunAsync(webhookId, Handler);

    /// <summary>Waits until the bus run of every delivery in <paramref name="ids"/> meets <paramref name="condition"/>.</summary>
    public async Task WaitAllAsync(IEnumerable<string> ids, Func<HandlerRun, bool> condition, string what, TimeSpan timeout)
    {
        var pending = ids.ToList();
        var total = pending.Count;
        HandlerRun? example = null;
        await Eventually.UntilAsync(async () =>
        {
            var left = new List<string>();
            foreach (var id in pending)
            {
                if (await RunAsync(id) is not { } run || !condition(run))
                    left.Add(id);
            }
            pending = left;
            example = pending.Count > 0 ? await RunAsync(pending[0]) : null;
            return pending.Count == 0;
        }, () => $"{what}: {pending.Count} of {total} not yet, e.g. {example}", timeout);
    }

    public HttpRequestMessage AdminRequest(HttpMethod method, string path) => _host.AdminRequest(method, path);

    /// <summary>
    /// What a crash after the publish but before the success was recorded leaves behind: the pair pending again, as a
    /// dispatcher finds it once the dead one's lease expires. Written straight into the store's file.
    /// </summary>
    public async Task ForgetSuccessAsync(string webhookId)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE handler_runs SET status = 'pending', next_attempt_at = 0, lease_owner = NULL
            WHERE handler = 'bus' AND event_id = (SELECT id FROM events WHERE endpoint = $endpoint AND webhook_id = $id);
            UPDATE events SET status = 'pending' WHERE endpoint = $endpoint AND webhook_id = $id;
            """;
        command.Parameters.AddWithValue("$endpoint", Endpoint);
        command.Parameters.AddWithValue("$id", webhookId);
        Assert.Equal(2, await command.ExecuteNonQueryAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }
}
