namespace GeminiHooks.Notifications;

/// <summary>
/// The occurrences of one kind that one message reports, marked in the store with <see cref="Stamp"/> (so occurrences
/// committed while it is sent wait for the next message): how many, the first one's id (the message's id, kept across
/// retries), when the first and last happened, and the first few distinct subjects (event and handler, handler,
/// webhook, job). <see cref="Failures"/>: failed sends of this kind so far, which sets the next retry's delay.
/// </summary>
internal sealed record NotificationBatch(string Kind, string Stamp, long FirstId, long Count, IReadOnlyList<string> Subjects,
    DateTimeOffset FirstAt, DateTimeOffset LastAt, int Failures);
