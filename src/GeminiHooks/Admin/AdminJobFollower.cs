namespace GeminiHooks.Admin;

sealed record AdminJobFollower(string Kind, string Type, string Endpoint, string WebhookId, string RawId, bool Reconciled, DateTimeOffset At);
