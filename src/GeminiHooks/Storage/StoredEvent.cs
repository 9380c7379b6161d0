namespace GeminiHooks.Storage;

public sealed record StoredEvent(
    long Id,
    string Endpoint,
    string WebhookId,
    long Timestamp,
    DateTimeOffset ReceivedAt,
    string EventType,
    string Status,
    IReadOnlyList<HandlerRun> Handlers,
    ReadOnlyMemory<byte>? Body);
