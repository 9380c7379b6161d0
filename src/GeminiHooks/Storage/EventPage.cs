namespace GeminiHooks.Storage;

public sealed record EventPage(IReadOnlyList<StoredEvent> Events, string? NextCursor);
