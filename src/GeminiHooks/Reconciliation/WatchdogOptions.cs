namespace GeminiHooks.Reconciliation;

/// <summary>The <c>GeminiHooks:Watchdog</c> section: watching the webhooks themselves at Gemini (docs/reconciliation.md).</summary>
public sealed class WatchdogOptions
{
    public bool Enabled { get; set; }

    /// <summary>How often the webhooks are listed.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Webhook ids or names (<c>webhooks/…</c>) that must exist; one that is not listed is flagged missing.</summary>
    public List<string> Webhooks { get; set; } = [];
}
