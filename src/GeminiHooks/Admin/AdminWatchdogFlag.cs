namespace GeminiHooks.Admin;

sealed record AdminWatchdogFlag(string Kind, string Webhook, string Detail);
