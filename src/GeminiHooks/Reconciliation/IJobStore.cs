namespace GeminiHooks.Reconciliation;

/// <summary>
/// Tracked jobs and the terminal outcome of each job, kept by the event store beside the events. The outcome of a job is
/// written by the accept of its first terminal delivery (real or reconciled), inside the accept's own transaction, so
/// matching costs no extra round trip; this contract reads it and keeps the list of jobs to poll.
/// </summary>
internal interface IJobStore
{
    /// <summary>Starts tracking a job; false when it is tracked already (nothing changes).</summary>
    Task<bool> TrackAsync(string name, JobKey key, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Stops tracking a job; false when it was not tracked. Its outcome, if any, stays.</summary>
    Task<bool> UntrackAsync(JobKey key, CancellationToken cancellationToken);

    /// <summary>Tracked jobs, newest first, with their outcome when one was recorded.</summary>
    Task<IReadOnlyList<TrackedJob>> ListAsync(int limit, CancellationToken cancellationToken);

    /// <summary>One tracked job with its outcome, or null.</summary>
    Task<TrackedJob?> GetAsync(JobKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Open tracked jobs (still being polled) whose next poll is due, oldest due first. A job whose outcome is recorded
    /// is closed by this call (status <c>delivered</c>) rather than returned: nothing is left to poll for it.
    /// </summary>
    Task<IReadOnlyList<TrackedJob>> DueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken);

    /// <summary>Records a poll's result: the job's state as Gemini reported it, when to poll next, and its status.</summary>
    Task RecordPollAsync(JobKey key, JobPoll poll, CancellationToken cancellationToken);

    /// <summary>Later terminal deliveries of jobs: duplicates of the outcome and conflicts with it, newest first.</summary>
    Task<IReadOnlyList<JobFollower>> FollowersAsync(JobKey key, CancellationToken cancellationToken);
}

/// <summary>Statuses of a tracked job.</summary>
internal static class TrackedJobStatus
{
    /// <summary>Polled until it ends or its outcome is recorded.</summary>
    public const string Open = "open";

    /// <summary>Ended at Gemini; waiting for the grace time to pass before an event is synthesized.</summary>
    public const string Ended = "ended";

    /// <summary>An outcome is recorded (delivered by Gemini or reconciled).</summary>
    public const string Delivered = "delivered";

    /// <summary>Ended with no Gemini event type for its outcome: nothing is synthesized (metric and log line).</summary>
    public const string NoEventType = "no_event_type";

    /// <summary>Tracked longer than the family's maximum age, or gone at Gemini (404): no longer polled.</summary>
    public const string Abandoned = "abandoned";
}

/// <param name="EndedAt">When a poll first saw the job ended; the grace time counts from here.</param>
internal sealed record JobPoll(string Status, DateTimeOffset NextPollAt, int Polls, string? JobState, DateTimeOffset? EndedAt,
    string? Error, DateTimeOffset Now);

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

/// <summary>The first terminal delivery of a job: which event it was and whether the receiver synthesized it.</summary>
internal sealed record JobOutcomeRecord(string EventType, string Endpoint, string WebhookId, string RawId, bool Reconciled,
    DateTimeOffset At, int Duplicates, int Conflicts);

/// <summary>A later terminal delivery: <c>duplicate</c> (same type) or <c>conflict</c> (another terminal type).</summary>
internal sealed record JobFollower(string Kind, string EventType, string Endpoint, string WebhookId, string RawId, bool Reconciled,
    DateTimeOffset At);
