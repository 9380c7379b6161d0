namespace GeminiHooks.Reconciliation;

/// <summary>A later terminal delivery: <c>duplicate</c> (same type) or <c>conflict</c> (another terminal type).</summary>
internal sealed record JobFollower(string Kind, string EventType, string Endpoint, string WebhookId, string RawId, bool Reconciled,
    DateTimeOffset At);
