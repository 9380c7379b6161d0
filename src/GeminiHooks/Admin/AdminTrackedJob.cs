namespace GeminiHooks.Admin;

sealed record AdminTrackedJob(string Name, string Family, string JobId, string Status, DateTimeOffset CreatedAt, DateTimeOffset NextPollAt,
    int Polls, string? JobState, DateTimeOffset? EndedAt, string? LastError, AdminJobOutcome? Outcome, IReadOnlyList<AdminJobFollower>? Followers);
