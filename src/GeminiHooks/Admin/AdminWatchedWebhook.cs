namespace GeminiHooks.Admin;

sealed record AdminWatchedWebhook(string Id, string Name, string State, IReadOnlyList<string> SubscribedEvents);
