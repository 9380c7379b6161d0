namespace GeminiHooks.Reconciliation;

/// <summary>A terminal delivery of a job, as the accept records it: the first one per <see cref="JobKey"/> wins.</summary>
public sealed record JobOutcome(JobKey Key, string RawId, string EventType, bool Reconciled);
