using System.Globalization;
using GeminiHooks.Events;
using GeminiHooks.Handlers;
using StackExchange.Redis;

namespace GeminiHooks.Brokers.Redis;

/// <summary>
/// Appends the event with <c>XADD</c>, once: a Lua script sets a marker key per (stream, endpoint, webhook-id) with
/// <c>SET NX PX</c> and appends only when it set it, so the check and the append are one atomic step on the server.
/// A run that repeats (a replay, or a crash after the append but before the success was recorded) finds the marker
/// and appends nothing. The marker lives as long as the receiver keeps accepted ids (<c>Idempotency:Retention</c>).
/// </summary>
sealed class RedisStreamHandler(RedisHandlerType type, string connectionString, string stream, long? maxLength,
    TimeSpan timeout, EventPayload payload) : IGeminiEventHandler
{
    // KEYS[1] the stream, KEYS[2] the marker; ARGV[1] the marker's lifetime in ms, ARGV[2] MAXLEN (0: none), then field/value pairs.
    const string AppendOnce = """
        if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
          return false
        end
        local args = {'XADD', KEYS[1]}
        if tonumber(ARGV[2]) > 0 then
          table.insert(args, 'MAXLEN'); table.insert(args, '~'); table.insert(args, ARGV[2])
        end
        table.insert(args, '*')
        for i = 3, #ARGV do table.insert(args, ARGV[i]) end
        return redis.call(unpack(args))
        """;

    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return BrokerPublish.WithTimeoutAsync("Redis", timeout, async ct =>
        {
            var connection = await type.ConnectionAsync(connectionString).WaitAsync(ct);
            var delivery = @event.Delivery;
            // The endpoint and id may contain ':'; their lengths keep the marker unambiguous.
            var marker = $"{stream}:published:{delivery.Endpoint.Length}:{delivery.Endpoint}:{delivery.WebhookId}";
            RedisValue[] args =
            [
                (long)type.Retention.TotalMilliseconds,
                maxLength ?? 0,
                "id", delivery.WebhookId,
                "endpoint", delivery.Endpoint,
                "type", @event.Type,
                "received_at", delivery.ReceivedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                "body", payload.Write(@event),
            ];
            await connection.GetDatabase().ScriptEvaluateAsync(AppendOnce, [stream, marker], args).WaitAsync(ct);
        }, cancellationToken);
    }
}
