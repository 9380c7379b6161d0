using System.Net.Http.Headers;
using System.Text;
using GeminiHooks.Configuration;
using GeminiHooks.Dispatch;
using GeminiHooks.Hosting;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.TestSupport;

/// <summary>
/// A real host as the server composes it: AddGeminiHooks, a SQLite store on a file, Kestrel on a free loopback port,
/// the admin API mapped. The clock is fake unless the test passes another; more handler types, services and a log
/// provider are the test's to add. Deliveries are stored by the tests themselves, the way ingest stores them.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    public const string Endpoint = "static";
    public const string AdminKey = "test-admin-key-0123456789-012345";

    readonly bool _ownsStore;
    readonly IHandlerCatalog _catalog;

    TestHost(WebApplication app, IEventStore store, TimeProvider time, bool ownsStore)
    {
        App = app;
        Store = store;
        Time = time;
        _ownsStore = ownsStore;
        _catalog = app.Services.GetRequiredService<IHandlerCatalog>();
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(20) };
    }

    public WebApplication App { get; }
    public IEventStore Store { get; }
    public TimeProvider Time { get; }
    public FakeTimeProvider FakeTime => (FakeTimeProvider)Time;
    public HttpClient Client { get; }

    /// <summary>The handlers an event of this type goes to, as ingest asks the catalog.</summary>
    public IReadOnlyList<string> HandlersFor(string eventType) => _catalog.HandlersFor(eventType);

    public static async Task<IEventStore> OpenStoreAsync(string path, TimeProvider time)
    {
        var store = new SqliteEventStore(new StoreOptions { ConnectionString = $"Data Source={path}" }, time,
            NullLogger<SqliteEventStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>The configured WebApplication, before start (start-up validation tests start it themselves).</summary>
    /// <param name="logs">Receives every log entry from Trace up; without it the host logs nothing.</param>
    public static WebApplication Build(IDictionary<string, string?> settings, TimeProvider time, IEventStore store,
        Action<GeminiHooksBuilder>? handlers = null, Action<IServiceCollection>? services = null, ILoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        // Dispatch is under test here; deliveries are stored by the tests themselves, so no delivery endpoint.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["GeminiHooks:Static:Enabled"] = "false" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(logs);
        }
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(store);
        services?.Invoke(builder.Services);
        var hooks = builder.Services.AddGeminiHooks(builder.Configuration);
        handlers?.Invoke(hooks);
        var app = builder.Build();
        app.MapGeminiHooksAdmin();
        return app;
    }

    /// <param name="settings">Added to (or overriding) a poll interval of one second and a daily idempotency cleanup.</param>
    /// <param name="time">The host's clock: a <see cref="FakeTimeProvider"/> at the current time unless given.</param>
    /// <param name="store">A store the test owns; without it a SQLite file in <paramref name="dir"/>, disposed with the host.</param>
    public static async Task<TestHost> StartAsync(TempDirectory dir, IDictionary<string, string?>? settings = null,
        Action<GeminiHooksBuilder>? handlers = null, Action<IServiceCollection>? services = null,
        TimeProvider? time = null, IEventStore? store = null, ILoggerProvider? logs = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        time ??= new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ownsStore = store is null;
        store ??= await OpenStoreAsync(dir.File("events.db"), time);
        var all = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["GeminiHooks:Dispatch:PollInterval"] = "00:00:01",
            ["GeminiHooks:Idempotency:CleanupInterval"] = "1.00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            all[key] = value;
        var app = Build(all, time, store, handlers, services, logs);
        await app.StartAsync();
        return new TestHost(app, store, time, ownsStore);
    }

    /// <summary>Stores a delivery the way ingest does: with one pending pair per handler the catalog names.</summary>
    /// <param name="body">The event; a Gemini-shaped one of <paramref name="type"/> naming the delivery when omitted.</param>
    public async Task<string> AcceptAsync(string type, string? body = null, string? webhookId = null)
    {
        webhookId ??= "msg_" + Guid.NewGuid().ToString("N");
        body ??= $$$"""{"type":"{{{type}}}","version":"v1","timestamp":"2026-11-20T10:15:00Z","data":{"id":"{{{webhookId}}}-res"}}""";
        var now = Time.GetUtcNow();
        var outcome = await Store.AcceptAsync(new IncomingDelivery(Endpoint, webhookId, now.ToUnixTimeSeconds(), now, type,
            Encoding.UTF8.GetBytes(body), _catalog.HandlersFor(type)), CancellationToken.None);
        Assert.Equal(AcceptOutcome.Accepted, outcome);
        return webhookId;
    }

    /// <summary>The stored run of one handler for one delivery, or null while there is none.</summary>
    public async Task<HandlerRun?> RunAsync(string webhookId, string handler)
    {
        var stored = await Store.GetEventAsync(Endpoint, webhookId, CancellationToken.None);
        return stored?.Handlers.FirstOrDefault(h => h.Handler == handler);
    }

    public HttpRequestMessage AdminRequest(HttpMethod method, string path, string? key = AdminKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await App.StopAsync(stop.Token);
        await App.DisposeAsync();
        if (_ownsStore)
            await Store.DisposeAsync();
    }
}
