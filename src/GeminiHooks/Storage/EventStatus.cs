namespace GeminiHooks.Storage;

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
