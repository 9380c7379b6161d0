using System.Collections.Concurrent;
using GeminiHooks.Configuration;
using GeminiHooks.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace GeminiHooks.Brokers.Nats;

/// <summary>
/// <c>nats</c>: publishes each event to JetStream. One connection per URL for the process, shared by reloads and
/// handlers; the client reconnects by itself. The URL is never echoed: it may hold a user and password or a token.
/// </summary>
// The options are looked up when needed, not injected: options validation uses this type, so injecting them is a cycle.
sealed class NatsHandlerType(IServiceProvider services) : IConfiguredHandlerType, IAsyncDisposable
{
    public const string DefaultSubject = "geminihooks.<type>";

    static readonly string[] Schemes = ["nats", "tls", "ws", "wss"];
    readonly ConcurrentDictionary<string, NatsConnection> _connections = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<(string Url, string Stream), Lazy<Task<bool>>> _streams = new();

    public string Name => "nats";

    public void Validate(string key, HandlerOptions handler, ICollection<string> failures)
    {
        if (string.IsNullOrWhiteSpace(handler.Url))
            failures.Add($"{key}:Url is required for Type 'nats'");
        else
        {
            foreach (var url in handler.Url.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || !Schemes.Contains(parsed.Scheme) || parsed.Host.Length == 0)
                {
                    failures.Add($"{key}:Url is not a NATS URL (nats://host:port, or tls, ws, wss; several separated by commas)");
                    break;
                }
            }
        }
        var subject = handler.Subject ?? DefaultSubject;
        if (subject.Length == 0 || subject.Any(char.IsWhiteSpace) || subject.Contains('*', StringComparison.Ordinal) ||
            subject.Contains('>', StringComparison.Ordinal) && !subject.Contains("<type>", StringComparison.Ordinal) ||
            BrokerPublish.Expand(subject, "x").Split('.').Any(t => t.Length == 0 || t.Contains('>', StringComparison.Ordinal)))
            failures.Add($"{key}:Subject is not a NATS subject (dot-separated tokens, no wildcards; <type> is replaced by the event type)");
        if (handler.Stream is { } stream && (stream.Length == 0 || stream.Any(c => char.IsWhiteSpace(c) || c is '.' or '*' or '>' or '/' or '\\')))
            failures.Add($"{key}:Stream is not a JetStream stream name (no spaces, '.', '*', '>', '/' or '\\')");
        if (handler.Timeout <= TimeSpan.Zero)
            failures.Add($"{key}:Timeout must be positive");
        EventPayload.Validate(key, handler, failures);
    }

    public IGeminiEventHandler Create(string name, HandlerOptions handler) =>
        new NatsJetStreamHandler(this, handler.Url!, handler.Subject ?? DefaultSubject, handler.Stream, handler.Timeout,
            EventPayload.For(handler));

    /// <summary>The window a stream created here drops duplicate message ids in: as long as accepted ids are kept.</summary>
    public TimeSpan DuplicateWindow => services.GetRequiredService<IOptionsMonitor<GeminiHooksOptions>>().CurrentValue.Idempotency.Retention;

    public NatsConnection Connection(string url) =>
        _connections.GetOrAdd(url, static u => new NatsConnection(NatsOpts.Default with { Url = u, Name = "geminihooks" }));

    /// <summary>
    /// Creates the stream once per process when it is missing. A failure is not remembered, so the next run tries again.
    /// </summary>
    public Task EnsureStreamAsync(string url, string stream, Func<Task> ensure) =>
        OnceUntilFailed.RunAsync(_streams, (url, stream), ensure);

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Values)
            await connection.DisposeAsync();
    }
}
