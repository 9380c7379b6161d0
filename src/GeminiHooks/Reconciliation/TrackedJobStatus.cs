namespace GeminiHooks.Reconciliation;

/// <summary>Statuses of a tracked job.</summary>
internal static class TrackedJobStatus
{
    /// <summary>Polled until it ends or its outcome is recorded.</summary>
    public const string Open = "open";

    /// <summary>Ended at Gemini; waiting for the grace time to pass before an event is synthesized.</summary>
    public const string Ended = "ended";

    /// <summary>An outcome is recorded (delivered by Gemini or reconciled).</summary>
    public const string Delivered = "delivered";

    /// <summary>Ended with no Gemini event type for its outcome: nothing is synthesized (metric and log line).</summary>
    public const string NoEventType = "no_event_type";

    /// <summary>Tracked longer than the family's maximum age, or gone at Gemini (404): no longer polled.</summary>
    public const string Abandoned = "abandoned";
}
