namespace GeminiHooks.Storage;

/// <summary>
/// A bulk replay's progress: <see cref="Matched"/> events when it was started, <see cref="Enqueued"/> of them replayed so
/// far; <see cref="Status"/> is running, done or failed. <see cref="RequestedBy"/> and <see cref="CreatedAt"/> are the
/// audit record: who asked (the admin client's address) and when.
/// </summary>
public sealed record ReplayProgress(string Id, long Matched, long Enqueued, string Status, string RequestedBy, DateTimeOffset CreatedAt);
