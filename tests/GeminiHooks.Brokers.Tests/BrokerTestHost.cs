using GeminiHooks.Configuration;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GeminiHooks.Dispatch;
using GeminiHooks.Hosting;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

// The outage tests stop and start the shared brokers: no other test may use them meanwhile.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace GeminiHooks.Brokers.Tests;

/// <summary>The brokers tests/scripts/brokers.sh started; every test needs them, none is skipped without them.</summary>
public static class Brokers
{
    public static string Redis => Require("GEMINIHOOKS_TEST_REDIS");
    public static string Nats => Require("GEMINIHOOKS_TEST_NATS");
    public static string RabbitMq => Require("GEMINIHOOKS_TEST_RABBITMQ");

    /// <summary>The password each broker was started with (the tests check it never reaches a log line).</summary>
    public static string Secret(string broker) => broker switch
    {
        "redis" => Redis[(Redis.IndexOf("password=", StringComparison.Ordinal) + "password=".Length)..],
        "nats" => new Uri(Nats).UserInfo.Split(':')[1],
        _ => new Uri(RabbitMq).UserInfo.Split(':')[1],
    };

    static string Require(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{name} is not set: run eval \"$(tests/scripts/brokers.sh start)\" first");

    /// <summary>Stops (keeping its data) or starts one broker, through the script that started it.</summary>
    public static async Task ScriptAsync(string command, string broker)
    {
        var script = Environment.GetEnvironmentVariable("GEMINIHOOKS_TEST_BROKERS_SCRIPT")
            ?? throw new InvalidOperationException("GEMINIHOOKS_TEST_BROKERS_SCRIPT is not set");
        var arguments = command == "stop" ? $"stop --keep {broker}" : $"start {broker}";
        var (code, output) = await Processes.RunAsync("bash", $"{script} {arguments}", TimeSpan.FromSeconds(90));
        Assert.True(code == 0, $"brokers.sh {arguments} failed: {output}");
    }
}

public static class Processes
{
    public static async Task<(int Code, string Output)> RunAsync(string file, string arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish within {timeout}");
        }
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}

/// <summary>Runs tests/js/broker-read.mjs: the official Node client of each broker reads back what was published.</summary>
public static class NodeReader
{
    static readonly string JsDirectory = FindJsDirectory();

    static string FindJsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "js", "broker-read.mjs");
            if (File.Exists(candidate))
                return Path.GetDirectoryName(candidate)!;
        }
        throw new InvalidOperationException("tests/js/broker-read.mjs not found above " + AppContext.BaseDirectory);
    }

    public static async Task<List<JsonElement>> ReadAsync(params string[] arguments)
    {
        var quoted = string.Join(' ', arguments.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var (code, output) = await Processes.RunAsync("bash", $"-c \"node broker-read.mjs {quoted.Replace("\"", "\\\"", StringComparison.Ordinal)}\"",
            TimeSpan.FromSeconds(60), JsDirectory);
        Assert.True(code == 0, "broker-read.mjs failed: " + output);
        using var document = JsonDocument.Parse(output);
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}

/// <summary>Every log line and exception text the host writes, to check that no secret is among them.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>
/// A receiver as the server composes it (dispatch, the broker types, the admin API) on a SQLite file, with the real
/// clock and short retry delays, Kestrel on a free loopback port. Deliveries are stored the way ingest stores them.
/// </summary>
sealed class BrokerTestHost : IAsyncDisposable
{
    public const string Endpoint = "static";
    public const string AdminKey = "test-admin-key-0123456789-012345";

    readonly string _dir;

    BrokerTestHost(WebApplication app, SqliteEventStore store, string dir, CapturedLogs logs)
    {
        App = app;
        Store = store;
        _dir = dir;
        Logs = logs;
        Catalog = app.Services.GetRequiredService<IHandlerCatalog>();
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(20) };
    }

    public WebApplication App { get; }
    public SqliteEventStore Store { get; }
    public IHandlerCatalog Catalog { get; }
    public HttpClient Client { get; }
    public CapturedLogs Logs { get; }
    public string DatabasePath => Path.Combine(_dir, "events.db");

    public static WebApplication Build(IDictionary<string, string?> settings, IEventStore store, CapturedLogs logs)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        // Dispatch to the broker is under test; deliveries are stored by the tests themselves, so no delivery endpoint.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["GeminiHooks:Static:Enabled"] = "false" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(store);
        builder.Services.AddGeminiHooks(builder.Configuration);
        builder.Services.AddGeminiHooksBrokers();
        var app = builder.Build();
        app.MapGeminiHooksAdmin();
        return app;
    }

    /// <param name="handler">The handler's settings without the <c>GeminiHooks:Handlers:bus:</c> prefix.</param>
    public static async Task<BrokerTestHost> StartAsync(IDictionary<string, string?> handler, IDictionary<string, string?>? extra = null)
    {
        var dir = Directory.CreateTempSubdirectory("geminihooks-brokers-").FullName;
        var store = new SqliteEventStore(new StoreOptions { ConnectionString = $"Data Source={Path.Combine(dir, "events.db")}" },
            TimeProvider.System, NullLogger<SqliteEventStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["GeminiHooks:Dispatch:PollInterval"] = "00:00:00.200",
            ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:00.200",
            ["GeminiHooks:Dispatch:RetryMaxDelay"] = "00:00:01",
            ["GeminiHooks:Dispatch:MaxAttempts"] = "1000",
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
        };
        foreach (var (key, value) in handler)
            settings["GeminiHooks:Handlers:bus:" + key] = value;
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            settings[key] = value;
        var logs = new CapturedLogs();
        var app = Build(settings, store, logs);
        await app.StartAsync();
        return new BrokerTestHost(app, store, dir, logs);
    }

    /// <summary>A Gemini-shaped event whose data and user_metadata name the delivery, so the reader's copy can be compared.</summary>
    public static string Body(string type, string webhookId) =>
        $$$"""{"type":"{{{type}}}","version":"v1","timestamp":"2026-11-20T10:15:00Z","user_metadata":{"job":"{{{webhookId}}}"},"data":{"id":"batches/{{{webhookId}}}","state":"done"}}""";

    public async Task<string> AcceptAsync(string type, string? webhookId = null)
    {
        webhookId ??= "msg_" + Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        var outcome = await Store.AcceptAsync(new IncomingDelivery(Endpoint, webhookId, now.ToUnixTimeSeconds(), now, type,
            Encoding.UTF8.GetBytes(Body(type, webhookId)), Catalog.HandlersFor(type)), CancellationToken.None);
        Assert.Equal(AcceptOutcome.Accepted, outcome);
        return webhookId;
    }

    public async Task<HandlerRun?> RunAsync(string webhookId)
    {
        var stored = await Store.GetEventAsync(Endpoint, webhookId, CancellationToken.None);
        return stored?.Handlers.FirstOrDefault(h => h.Handler == "bus");
    }

    public async Task WaitAllAsync(IEnumerable<string> ids, Func<HandlerRun, bool> condition, string what, TimeSpan timeout)
    {
        var pending = ids.ToList();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = new List<string>();
            foreach (var id in pending)
            {
                if (await RunAsync(id) is not { } run || !condition(run))
                    left.Add(id);
            }
            if (left.Count == 0)
                return;
            if (DateTime.UtcNow >= deadline)
            {
                var example = await RunAsync(left[0]);
                Assert.Fail($"Timed out waiting until {what}: {left.Count} of {pending.Count} not yet, e.g. {example}");
            }
            pending = left;
            await Task.Delay(50);
        }
    }

    public HttpRequestMessage AdminRequest(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return request;
    }

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
        Client.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await App.StopAsync(stop.Token);
        await App.DisposeAsync();
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
