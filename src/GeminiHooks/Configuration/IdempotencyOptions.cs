namespace GeminiHooks.Configuration;

public sealed class IdempotencyOptions
{
    /// <summary>How long accepted ids (and finished events) are kept; longer than Gemini's 24 h of retries.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long quarantined events (dynamic deliveries not shown to be the operator's) are kept.</summary>
    public TimeSpan QuarantinedRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long dead-lettered events are kept for inspection and replay.</summary>
    public TimeSpan DeadRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the retention cleanup runs.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);
}
