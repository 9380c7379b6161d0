using System.Collections.Concurrent;
using GeminiHooks.Configuration;
using GeminiHooks.Handlers;

namespace GeminiHooks.Brokers.RabbitMq;

/// <summary>
/// <c>rabbitmq</c>: publishes each event to a topic exchange with publisher confirms. One connection per URI for the
/// process, shared by reloads and handlers. The URI is never echoed: it holds the user and password.
/// </summary>
sealed class RabbitMqHandlerType : IConfiguredHandlerType, IAsyncDisposable
{
    public const string DefaultExchange = "geminihooks";
    public const string DefaultRoutingKey = "<type>";

    readonly ConcurrentDictionary<string, RabbitMqChannel> _channels = new(StringComparer.Ordinal);

    public string Name => "rabbitmq";

    public void Validate(string key, HandlerOptions handler, ICollection<string> failures)
    {
        if (string.IsNullOrWhiteSpace(handler.Uri))
            failures.Add($"{key}:Uri is required for Type 'rabbitmq'");
        else if (!Uri.TryCreate(handler.Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps") || uri.Host.Length == 0)
            failures.Add($"{key}:Uri is not an AMQP URI (amqp://user:password@host:port/vhost, or amqps)");
        if (handler.Exchange is { } exchange && (exchange.Length == 0 || exchange.Length > 255))
            failures.Add($"{key}:Exchange must be 1 to 255 characters");
        if (handler.RoutingKey is { Length: 0 or > 255 })
            failures.Add($"{key}:RoutingKey must be 1 to 255 characters");
        if (handler.Timeout <= TimeSpan.Zero)
            failures.Add($"{key}:Timeout must be positive");
        EventPayload.Validate(key, handler, failures);
    }

    public IGeminiEventHandler Create(string name, HandlerOptions handler)
    {
        var exchange = handler.Exchange ?? DefaultExchange;
        var channel = _channels.GetOrAdd($"{handler.Uri}\n{exchange}", _ => new RabbitMqChannel(new Uri(handler.Uri!), exchange));
        return new RabbitMqHandler(channel, handler.RoutingKey ?? DefaultRoutingKey, handler.Timeout, EventPayload.For(handler));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels.Values)
            await channel.DisposeAsync();
    }
}
