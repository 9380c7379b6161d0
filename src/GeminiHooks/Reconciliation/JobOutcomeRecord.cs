namespace GeminiHooks.Reconciliation;

/// <summary>The first terminal delivery of a job: which event it was and whether the receiver synthesized it.</summary>
internal sealed record JobOutcomeRecord(string EventType, string Endpoint, string WebhookId, string RawId, bool Reconciled,
    DateTimeOffset At, int Duplicates, int Conflicts);
