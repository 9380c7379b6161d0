namespace GeminiHooks.Events;

/// <summary>Where and when this event arrived, and which run of which handler this is.</summary>
/// <param name="Endpoint">The receiving endpoint as stored (e.g. static or dynamic).</param>
/// <param name="WebhookId">The <c>webhook-id</c> header: the same on every redelivery, so it is the idempotency key.</param>
/// <param name="WebhookTimestamp">The <c>webhook-timestamp</c> header.</param>
/// <param name="ReceivedAt">When this receiver accepted the delivery.</param>
/// <param name="Attempt">1 on the first run of this handler for this event; counts again from 1 after a replay.</param>
/// <param name="Handler">The name of the handler being run.</param>
public sealed record DeliveryInfo(
    string Endpoint,
    string WebhookId,
    DateTimeOffset WebhookTimestamp,
    DateTimeOffset ReceivedAt,
    int Attempt,
    string Handler);
