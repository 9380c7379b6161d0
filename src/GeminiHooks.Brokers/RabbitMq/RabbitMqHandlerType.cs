using GeminiHooks.Configuration;
using System.Collections.Concurrent;
using GeminiHooks.Handlers;
using RabbitMQ.Client;

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

/// <summary>
/// A confirming channel on a connection of its own, made on first use and made again after it closed (a connection
/// that never came up is not recovered by the client, so that case is ours). The exchange is declared on each new
/// channel, so a broker that lost its definitions gets it back.
/// </summary>
sealed class RabbitMqChannel(Uri uri, string exchange) : IAsyncDisposable
{
    readonly SemaphoreSlim _lock = new(1, 1);
    IConnection? _connection;
    IChannel? _channel;

    public string Exchange => exchange;

    public async Task<IChannel> GetAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
            return open;
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_channel is { IsOpen: true } reopened)
                return reopened;
            await CloseAsync();
            var factory = new ConnectionFactory
            {
                Uri = uri,
                ClientProvidedName = "geminihooks",
                AutomaticRecoveryEnabled = true,
                NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
            };
            _connection = await factory.CreateConnectionAsync(cancellationToken);
            var channel = await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                cancellationToken);
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
            _channel = channel;
            return channel;
        }
        finally
        {
            _lock.Release();
        }
    }

    async Task CloseAsync()
    {
        if (_channel is not null)
            await _channel.DisposeAsync();
        if (_connection is not null)
            await _connection.DisposeAsync();
        _channel = null;
        _connection = null;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _lock.Dispose();
    }
}
