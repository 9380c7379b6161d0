namespace GeminiHooks.Reconciliation;

/// <param name="EndedAt">When a poll first saw the job ended; the grace time counts from here.</param>
internal sealed record JobPoll(string Status, DateTimeOffset NextPollAt, int Polls, string? JobState, DateTimeOffset? EndedAt,
    string? Error, DateTimeOffset Now);
