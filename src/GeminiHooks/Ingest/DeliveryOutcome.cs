namespace GeminiHooks.Ingest;

/// <summary>
/// How one delivery ended. The answer, the <c>geminihooks.deliveries</c> outcome label and the log line are all read
/// from it, so the three never disagree.
/// </summary>
enum DeliveryOutcome
{
    /// <summary>Verified and committed to the store: 200 <c>{"status":"accepted"}</c>.</summary>
    Accepted,

    /// <summary>The (endpoint, webhook-id) pair was already stored: 200 <c>{"status":"duplicate"}</c>.</summary>
    Duplicate,

    /// <summary>Dynamic, verified, not bound to this operator's jobs: stored, not dispatched, 200 <c>{"status":"quarantined"}</c>.</summary>
    Quarantined,

    /// <summary>A late delivery of a job that already has its outcome (the same type): stored, not dispatched, answered as a duplicate.</summary>
    Superseded,

    /// <summary>A late delivery of a job that already has a different outcome: stored, not dispatched, answered as a duplicate.</summary>
    Conflict,

    /// <summary>Refused with a 4xx problem (see <see cref="Rejection"/>).</summary>
    Rejected,

    /// <summary>The store or the JWKS cannot be reached: 503 with <c>Retry-After</c>, Gemini retries.</summary>
    Unavailable,

    /// <summary>The client went away before the answer: nothing is written.</summary>
    Aborted,
}
