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

static class DeliveryOutcomeExtensions
{
    /// <summary>
    /// The <c>outcome</c> label of <c>geminihooks.deliveries</c> and of the log line. A superseded or conflicting late
    /// delivery reads as "duplicate": to Gemini and to the alert rules it is one (nothing runs again).
    /// </summary>
    public static string Label(this DeliveryOutcome outcome) => outcome switch
    {
        DeliveryOutcome.Accepted => "accepted",
        DeliveryOutcome.Quarantined => "quarantined",
        DeliveryOutcome.Duplicate or DeliveryOutcome.Superseded or DeliveryOutcome.Conflict => "duplicate",
        DeliveryOutcome.Unavailable => "unavailable",
        DeliveryOutcome.Aborted => "aborted",
        _ => "rejected",
    };

    /// <summary>True for the 200 answers: the delivery is stored (or was already) and Gemini stops retrying.</summary>
    public static bool IsStored(this DeliveryOutcome outcome) =>
        outcome is DeliveryOutcome.Accepted or DeliveryOutcome.Duplicate or DeliveryOutcome.Quarantined
            or DeliveryOutcome.Superseded or DeliveryOutcome.Conflict;
}
