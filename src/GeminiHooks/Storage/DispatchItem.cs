namespace GeminiHooks.Storage;

/// <summary>
/// One claimed (event, handler) pair. <see cref="Attempt"/> is 1 on the first try; <see cref="LeaseToken"/> is the claim's
/// lease token (the dispatcher's owner id and a nonce), which Complete and Fail must match.
/// </summary>
public sealed record DispatchItem(
    long EventId,
    string Endpoint,
    string WebhookId,
    long Timestamp,
    DateTimeOffset ReceivedAt,
    string EventType,
    ReadOnlyMemory<byte> Body,
    string Handler,
    int Attempt,
    string LeaseToken);
