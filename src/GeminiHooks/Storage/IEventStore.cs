namespace GeminiHooks.Storage;

/// <summary>
/// The durable store: accepted deliveries and, per (event, handler) pair, the dispatch state.
/// Implementations: <see cref="Relational.RelationalEventStore"/> with its SQLite and PostgreSQL dialects.
/// Every implementation passes the same contract tests (EventStoreContractTests in tests/GeminiHooks.TestSupport).
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

    /// <summary>
    /// Claims as <see cref="ClaimAsync(string, int, TimeSpan, CancellationToken)"/> does, passing over the pairs of
    /// <paramref name="skipHandlers"/> (handlers this dispatcher already runs at their own concurrency limit).
    /// </summary>
    Task<IReadOnlyList<DispatchItem>> ClaimAsync(string owner, int max, TimeSpan lease, IReadOnlyCollection<string> skipHandlers,
        CancellationToken cancellationToken);

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

    /// <summary>How many stored events <paramref name="filter"/> matches now (a bulk replay's dry run).</summary>
    Task<long> CountEventsAsync(EventFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// Records a bulk replay of the events the filter matches now (later events are not part of it) and returns its
    /// progress; the events are queued in the background by <see cref="RunReplayPageAsync"/>.
    /// </summary>
    Task<ReplayProgress> StartReplayAsync(ReplayRequest request, CancellationToken cancellationToken);

    /// <summary>A bulk replay's progress, or null when there is no such replay.</summary>
    Task<ReplayProgress?> GetReplayAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Queues the next page (up to <paramref name="pageSize"/> events, oldest first) of a running replay that no other
    /// owner holds, leasing it to <paramref name="owner"/> for <paramref name="lease"/>. The page and the replay's
    /// checkpoint commit together, so a replay resumed by another process after a crash queues no event twice.
    /// <paramref name="handlersFor"/> gets an event's type and the replay's handler names (null: all) and returns the
    /// handlers to queue. Returns the progress after the page, or null when no replay had work.
    /// </summary>
    Task<ReplayProgress?> RunReplayPageAsync(string owner, TimeSpan lease, int pageSize,
        Func<string, IReadOnlyList<string>?, IReadOnlyList<string>> handlersFor, CancellationToken cancellationToken);

    /// <summary>Stored events, newest first, with their pairs (no bodies).</summary>
    Task<EventPage> ListEventsAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>One event with its body and pairs, or null.</summary>
    Task<StoredEvent?> GetEventAsync(string endpoint, string webhookId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes events of <paramref name="status"/> (<see cref="EventStatus.Done"/>, <see cref="EventStatus.Quarantined"/>
    /// or <see cref="EventStatus.Dead"/>; never pending ones) received before the cutoff, with their pairs. Returns how many.
    /// </summary>
    Task<int> DeleteExpiredAsync(string status, DateTimeOffset receivedBefore, CancellationToken cancellationToken);

    /// <summary>Counts of pairs by status, for readiness, metrics and the dashboard.</summary>
    Task<BacklogCounts> CountAsync(CancellationToken cancellationToken);

    /// <summary>Counts of the events the store holds back from handlers: quarantined and dead-lettered.</summary>
    Task<EventCounts> CountHeldEventsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// When the earliest pair falls due: the next attempt of a pending pair, or the lease expiry of a running one, paused
    /// handlers left out. Null when there is none. An idle dispatcher sleeps until then instead of polling.
    /// </summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Pauses or resumes a handler for every process using this store: a paused handler's pairs are not claimed (they
    /// keep their attempts), and a resume wakes the dispatchers. Pausing a paused handler keeps its first pause time.
    /// </summary>
    Task SetHandlerPausedAsync(string handler, bool paused, CancellationToken cancellationToken);

    /// <summary>
    /// Counts a run of a handler with a circuit breaker: a success closes its circuit; a failure opens it (until now +
    /// <paramref name="breakDuration"/>) when it makes <paramref name="failureThreshold"/> in a row or was the probe.
    /// While open, claims leave the handler's pairs alone; after the break one claim takes a single pair as the probe.
    /// </summary>
    Task RecordHandlerRunAsync(string handler, bool succeeded, int failureThreshold, TimeSpan breakDuration,
        CancellationToken cancellationToken);

    /// <summary>One <see cref="HandlerState"/> per name asked for, in that order (unknown to the store: active, no pairs).</summary>
    Task<IReadOnlyList<HandlerState>> GetHandlerStatesAsync(IReadOnlyList<string> handlers, CancellationToken cancellationToken);

    /// <summary>
    /// Completes when new work may be there (an accept or replay, in this process or, where the database can say so,
    /// in another), or after <paramref name="timeout"/>, whichever comes first.
    /// </summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
