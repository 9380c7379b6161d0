namespace GeminiHooks.Reconciliation;

internal sealed record TrackedJob(
    string Family,
    string JobId,
    string Name,
    DateTimeOffset CreatedAt,
    string Status,
    DateTimeOffset NextPollAt,
    int Polls,
    string? JobState,
    DateTimeOffset? EndedAt,
    string? LastError,
    JobOutcomeRecord? Outcome)
{
    public JobKey Key => new(Family, JobId);
}
