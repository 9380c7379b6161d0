namespace GeminiHooks.Reconciliation;

/// <summary>Something about the webhooks that means completions will not arrive (<c>Kind</c>: disabled, missing, unsubscribed).</summary>
internal sealed record WatchdogFlag(string Kind, string Webhook, string Detail);
