using GeminiHooks.Events;
using GeminiHooks.Handlers;
using RabbitMQ.Client;

namespace GeminiHooks.Brokers.RabbitMq;

/// <summary>
/// Publishes persistent, mandatory messages and waits for the broker's confirm. A nack, or a message no queue is bound
/// to take (returned because it is mandatory), fails the run, so it is retried rather than lost. RabbitMQ has no
/// server-side deduplication: a repeated run publishes again, with the same <c>message_id</c> (the webhook-id)
/// for consumers to drop.
/// </summary>
sealed class RabbitMqHandler(RabbitMqChannel channel, string routingKey, TimeSpan timeout, EventPayload payload) : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return BrokerPublish.WithTimeoutAsync("RabbitMQ", timeout, async ct =>
        {
            var open = await channel.GetAsync(ct);
            var properties = new BasicProperties
            {
                MessageId = @event.Delivery.WebhookId,
                Type = @event.Type,
                ContentType = payload.Format == EventFormat.CloudEvents ? "application/cloudevents+json" : "application/json",
                DeliveryMode = DeliveryModes.Persistent,
                Timestamp = new AmqpTimestamp(@event.Delivery.ReceivedAt.ToUnixTimeSeconds()),
                Headers = new Dictionary<string, object?> { ["gemini-endpoint"] = @event.Delivery.Endpoint },
            };
            await open.BasicPublishAsync(channel.Exchange, BrokerPublish.Expand(routingKey, @event.Type), mandatory: true,
                basicProperties: properties, body: payload.Write(@event), cancellationToken: ct);
        }, cancellationToken);
    }
}
