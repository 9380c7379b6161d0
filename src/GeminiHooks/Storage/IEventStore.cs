namespace GeminiHooks.Storage;

/// <summary>
/// The durable store: accepted deliveries and, per (event, handler) pair, the dispatch state.
/// Implementations: <see cref="Sqlite.SqliteEventStore"/> and the PostgreSQL store in GeminiHooks.Postgres.
/// Every implementation passes the same contract tests (tests/GeminiHooks.Storage.Tests).
/// Any failure to reach the database surfaces as <see cref="StoreUnavailableException"/> (retry later); data the
/// database refuses surfaces as <see cref="StoreRejectedException"/> for that one write alone (retrying cannot help).
/// </summary>
public interface IEventStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Throws <see cref="StoreUnavailableException"/> unless the database answers.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores the delivery and one pending run per handler, durably, before returning.
    /// Returns <see cref="AcceptOutcome.Duplicate"/> (and stores nothing) when (endpoint, webhook-id) is already stored.
    /// Throws <see cref="StoreRejectedException"/> when the store cannot represent this delivery (its webhook id holds
    /// a NUL character, or the database refuses its data); deliveries committed in the same batch are not affected.
    /// </summary>
    Task<AcceptOutcome> AcceptAsync(IncomingDelivery delivery, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="max"/> due pairs for <paramref name="owner"/> until now + <paramref name="lease"/>:
    /// pending pairs whose next attempt is due, and running pairs whose lease has expired.
    /// Each claim increments the pair's attempt count. No pair is held by two owners at once. Each call leases under a
    /// token of its own (<see cref="LeaseToken"/>, returned as <see cref="DispatchItem.LeaseToken"/>) that outcomes are fenced on.
    /// </summary>
    Task<IReadOnlyList<DispatchItem>> ClaimAsync(string owner, int max, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Marks the pair succeeded; false (and no change) when the claim was lost to another owner.</summary>
    Task<bool> CompleteAsync(DispatchItem item, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failed attempt: pending again at <paramref name="retryAt"/>, or dead-lettered when it is null.
    /// False (and no change) when the claim was lost to another owner.
    /// </summary>
    Task<bool> FailAsync(DispatchItem item, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the event's pairs for <paramref name="handlers"/> pending and due now with a fresh attempt count,
    /// adding pairs the event does not have yet. Returns how many pairs were queued, or null when there is no such event.
    /// </summary>
    Task<int?> ReplayAsync(string endpoint, string webhookId, IReadOnlyList<string> handlers, CancellationToken cancellationToken);

    /// <summary>Re-queues every dead-lettered pair (optionally only of one event type). Returns how many.</summary>
    Task<int> ReplayDeadLettersAsync(string? eventType, CancellationToken cancellationToken);

    /// <summary>Stored events, newest first, with their pairs (no bodies).</summary>
    Task<EventPage> ListEventsAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>One event with its body and pairs, or null.</summary>
    Task<StoredEvent?> GetEventAsync(string endpoint, string webhookId, CancellationToken cancellationToken);

    /// <summary>Deletes events received before the cutoff whose pairs are all succeeded (or that have none).</summary>
    Task<int> DeleteFinishedAsync(DateTimeOffset receivedBefore, CancellationToken cancellationToken);

    /// <summary>Counts of pairs by status, for readiness, metrics and the dashboard.</summary>
    Task<BacklogCounts> CountAsync(CancellationToken cancellationToken);

    /// <summary>
    /// When the earliest pair falls due: the next attempt of a pending pair, or the lease expiry of a running one.
    /// Null when there is none. An idle dispatcher sleeps until then instead of polling.
    /// </summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Completes when new work may be there (an accept or replay, in this process or, where the database can say so,
    /// in another), or after <paramref name="timeout"/>, whichever comes first.
    /// </summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken);
}

public enum AcceptOutcome
{
    Accepted,
    Duplicate,

    /// <summary>
    /// Stored without handler runs: an earlier terminal delivery of the same job (real or reconciled) already has them.
    /// Answered 2xx so Gemini stops retrying.
    /// </summary>
    Superseded,

    /// <summary>Like <see cref="Superseded"/>, but the earlier terminal delivery had another type: a reconcile conflict.</summary>
    Conflict,
}

/// <summary>
/// A verified delivery about to be stored. <see cref="Body"/> is the exact bytes that were verified.
/// A <see cref="Quarantined"/> delivery is stored without handler runs (<see cref="Handlers"/> is empty) until an
/// operator replays it.
/// </summary>
public sealed record IncomingDelivery(
    string Endpoint,
    string WebhookId,
    long Timestamp,
    DateTimeOffset ReceivedAt,
    string EventType,
    ReadOnlyMemory<byte> Body,
    IReadOnlyList<string> Handlers,
    bool Quarantined = false)
{
    /// <summary>
    /// Set for a terminal job event (see Reconciliation/JobNames): the accept records it as the job's outcome, or, when
    /// the job has one already, stores the delivery without handler runs.
    /// </summary>
    internal Reconciliation.JobOutcome? Job { get; init; }

    /// <summary>The event status an accept stores.</summary>
    public string InitialStatus => Quarantined ? EventStatus.Quarantined : Handlers.Count == 0 ? EventStatus.Done : EventStatus.Pending;
}

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

public static class EventStatus
{
    /// <summary>Some pair is still to run (or running).</summary>
    public const string Pending = "pending";

    /// <summary>Every pair succeeded (or there were none).</summary>
    public const string Done = "done";

    /// <summary>Some pair is dead-lettered.</summary>
    public const string Dead = "dead";

    /// <summary>
    /// Verified but not shown to belong to one of the operator's jobs (dynamic binding): stored with no pairs and kept
    /// until a replay releases it to the handlers (which makes it pending, or done when no handler takes it).
    /// </summary>
    public const string Quarantined = "quarantined";
}

public static class RunStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Dead = "dead";
}

public sealed record HandlerRun(
    string Handler,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    DateTimeOffset UpdatedAt);

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

/// <summary>A page query: <see cref="Cursor"/> is the <c>NextCursor</c> of the previous page.</summary>
public sealed record EventQuery(string? Status = null, string? EventType = null, int Limit = 50, string? Cursor = null);

public sealed record EventPage(IReadOnlyList<StoredEvent> Events, string? NextCursor);

public sealed record BacklogCounts(long Pending, long Running, long Succeeded, long Dead);

/// <summary>The database cannot be reached, is full or timed out: the delivery should be retried later (503).</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException() { }
    public StoreUnavailableException(string message) : base(message) { }
    public StoreUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>Creates the store named by <c>Store:Provider</c>; each store project registers one.</summary>
public interface IEventStoreFactory
{
    string Provider { get; }
    IEventStore Create(IServiceProvider services);
}
