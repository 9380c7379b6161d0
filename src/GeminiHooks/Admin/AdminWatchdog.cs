namespace GeminiHooks.Admin;

sealed record AdminWatchdog(bool Enabled, DateTimeOffset? CheckedAt, IReadOnlyList<AdminWatchedWebhook> Webhooks,
    IReadOnlyList<AdminWatchdogFlag> Flags, string? Error);
