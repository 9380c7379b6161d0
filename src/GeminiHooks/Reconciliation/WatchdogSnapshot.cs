namespace GeminiHooks.Reconciliation;

/// <summary>The watchdog's last look: when, what it saw, what it flagged, and why it could not look (if so).</summary>
internal sealed record WatchdogSnapshot(DateTimeOffset? CheckedAt, IReadOnlyList<WatchedWebhook> Webhooks, IReadOnlyList<WatchdogFlag> Flags,
    string? Error);
