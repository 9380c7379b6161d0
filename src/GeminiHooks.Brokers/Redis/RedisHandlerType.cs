using System.Collections.Concurrent;
using GeminiHooks.Configuration;
using GeminiHooks.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace GeminiHooks.Brokers.Redis;

/// <summary>
/// <c>redis</c>: appends each event to a Redis Stream. One multiplexer per connection string for the process,
/// shared by reloads and handlers; it reconnects by itself. The connection string is never echoed: it may hold a password.
/// </summary>
// The options are looked up when needed, not injected: options validation uses this type, so injecting them is a cycle.
sealed class RedisHandlerType(IServiceProvider services) : IConfiguredHandlerType, IAsyncDisposable
{
    public const string DefaultStream = "geminihooks:events";

    readonly ConcurrentDictionary<string, Lazy<Task<ConnectionMultiplexer>>> _connections = new(StringComparer.Ordinal);

    public string Name => "redis";

    public void Validate(string key, HandlerOptions handler, ICollection<string> failures)
    {
        if (string.IsNullOrWhiteSpace(handler.ConnectionString))
            failures.Add($"{key}:ConnectionString is required for Type 'redis'");
        else if (Parse(handler.ConnectionString) is not { EndPoints.Count: > 0 })
            failures.Add($"{key}:ConnectionString is not a StackExchange.Redis configuration naming a server (host:port, options)");
        if (handler.Stream is not null && string.IsNullOrWhiteSpace(handler.Stream))
            failures.Add($"{key}:Stream must not be empty");
        if (handler.MaxLength is <= 0)
            failures.Add($"{key}:MaxLength must be positive");
        if (handler.Timeout <= TimeSpan.Zero)
            failures.Add($"{key}:Timeout must be positive");
        EventPayload.Validate(key, handler, failures);
    }

    public IGeminiEventHandler Create(string name, HandlerOptions handler) =>
        new RedisStreamHandler(this, handler.ConnectionString!, handler.Stream ?? DefaultStream, handler.MaxLength,
            handler.Timeout, EventPayload.For(handler));

    /// <summary>How long a published (endpoint, webhook-id) is remembered: as long as the receiver remembers accepted ids.</summary>
    public TimeSpan Retention => services.GetRequiredService<IOptionsMonitor<GeminiHooksOptions>>().CurrentValue.Idempotency.Retention;

    public Task<ConnectionMultiplexer> ConnectionAsync(string connectionString) =>
        OnceUntilFailed.RunAsync(_connections, connectionString, () =>
        {
            var configuration = Parse(connectionString)!;
            // Keep trying in the background instead of failing once: the broker may start after the receiver.
            configuration.AbortOnConnectFail = false;
            configuration.ClientName = "geminihooks";
            return ConnectionMultiplexer.ConnectAsync(configuration);
        });

    static ConfigurationOptions? Parse(string connectionString)
    {
        try { return ConfigurationOptions.Parse(connectionString); }
        catch (ArgumentException) { return null; }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Values.Where(c => c.IsValueCreated && c.Value.IsCompletedSuccessfully))
            await (await connection.Value).DisposeAsync();
    }
}
