namespace GeminiHooks.Ingest;

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
