using RabbitMQ.Client;

namespace GeminiHooks.Brokers.RabbitMq;

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
