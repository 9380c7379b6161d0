using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using GeminiHooks.Hosting;
using GeminiHooks.Server.Tests.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Server.Tests.Ingest;

/// <summary>
/// Dynamic webhooks never trust silently: turned on with no way to tie deliveries to the operator's jobs, the start
/// stops with one line naming the key; binding turned off explicitly starts with a warning and a gauge at 1.
/// </summary>
public class DynamicTrustTests
{
    static Dictionary<string, string?> Dynamic(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:Dynamic:Enabled"] = "true",
            ["GeminiHooks:Dynamic:JwksUri"] = "http://127.0.0.1:9/jwks.json",
        };
        foreach (var (key, value) in more)
            settings[key] = value;
        return settings;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Quarantine")]
    [InlineData("Reject")]
    public async Task Dynamic_webhooks_without_binding_keys_stop_the_start_with_one_line_naming_the_keys(string? mode)
    {
        var error = await ConfigurationTests.StartFails(Dynamic(("GeminiHooks:Dynamic:Binding:Mode", mode)));
        var line = Assert.Single(error.Failures);
        Assert.StartsWith("GeminiHooks:Dynamic:Binding:Keys: is empty", line, StringComparison.Ordinal);
        Assert.Contains("Mode Off", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Confirm_mode_without_a_Gemini_API_key_stops_the_start_naming_the_API_key()
    {
        var error = await ConfigurationTests.StartFails(Dynamic(("GeminiHooks:Dynamic:Binding:Mode", "Confirm")));
        var line = Assert.Single(error.Failures);
        Assert.StartsWith("GeminiHooks:Gemini:ApiKey: is empty but Dynamic:Binding:Mode is Confirm", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_binding_mode_stops_the_start_naming_the_mode()
    {
        var error = await ConfigurationTests.StartFails(Dynamic(("GeminiHooks:Dynamic:Binding:Mode", "Trust")));
        Assert.Contains(error.Failures, f => f.StartsWith("GeminiHooks:Dynamic:Binding:Mode:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Binding_keys_or_Confirm_with_an_API_key_start()
    {
        using var data = new TempDirectory();
        await using (var withKeys = await StartAsync(Dynamic(("GeminiHooks:Dynamic:Binding:Keys:0", DynamicBindingTests.Key1)), new Logs(), data.File("a.db")))
            Assert.Equal(0, Unbound(withKeys));
        await using var confirm = await StartAsync(Dynamic(("GeminiHooks:Dynamic:Binding:Mode", "Confirm"), ("GeminiHooks:Gemini:ApiKey", "key-1")),
            new Logs(), data.File("b.db"));
        Assert.Equal(0, Unbound(confirm));
    }

    [Fact]
    public async Task Mode_Off_starts_with_a_warning_and_the_unbound_gauge_at_1()
    {
        var logs = new Logs();
        using var data = new TempDirectory();
        await using var app = await StartAsync(Dynamic(("GeminiHooks:Dynamic:Binding:Mode", "Off")), logs, data.File("geminihooks.db"));
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("not bound (Dynamic:Binding:Mode Off)", StringComparison.Ordinal));
        Assert.Equal(1, Unbound(app));
    }

    static async Task<WebApplication> StartAsync(Dictionary<string, string?> settings, Logs logs, string database)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GeminiHooks:Static:Secrets:0"] = Receiver.Secret,
            ["GeminiHooks:Store:ConnectionString"] = $"Data Source={database}",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddGeminiHooks(builder.Configuration);
        var app = builder.Build();
        app.MapGeminiHooks();
        await app.StartAsync();
        return app;
    }

    /// <summary>The last value of this host's <c>geminihooks.dynamic.unbound</c> (meters are process-wide: matched by the host's factory).</summary>
    static long Unbound(WebApplication app)
    {
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        long? value = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "geminihooks.dynamic.unbound" && ReferenceEquals(instrument.Meter.Scope, factory))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, measurement, _, _) => value = measurement);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.NotNull(value);
        return value.Value;
    }

    sealed class Logs : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Text)> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this);
        public void Dispose() { }

        sealed class Logger(Logs logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Lines.Enqueue((logLevel, formatter(state, exception)));
        }
    }
}
