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
