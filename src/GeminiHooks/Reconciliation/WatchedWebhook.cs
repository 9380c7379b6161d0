namespace GeminiHooks.Reconciliation;

/// <summary>One webhook as the watchdog last saw it at Gemini.</summary>
internal sealed record WatchedWebhook(string Id, string Name, string State, IReadOnlyList<string> SubscribedEvents);
