namespace GeminiHooks.Reconciliation;

/// <summary>The <c>GeminiHooks:Reconcile</c> section (docs/reconciliation.md).</summary>
public sealed class ReconcileOptions
{
    /// <summary>Poll tracked jobs and synthesize the events Gemini did not deliver.</summary>
    public bool Enabled { get; set; }

    /// <summary>How long after a poll first sees a job ended a delivery may still arrive before one is synthesized.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>First poll interval of a job; doubled after each poll that finds it running, up to <see cref="PollMax"/>.</summary>
    public TimeSpan PollInitial { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan PollMax { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the reconciler looks for due polls.</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Jobs tracked longer than this are abandoned (no longer polled), per family.</summary>
    public TimeSpan MaxAgeBatch { get; set; } = TimeSpan.FromDays(3);

    public TimeSpan MaxAgeVideo { get; set; } = TimeSpan.FromDays(1);

    public TimeSpan MaxAgeInteraction { get; set; } = TimeSpan.FromDays(3);

    /// <summary>List the project's batches on each discovery pass and track the unfinished ones.</summary>
    public bool DiscoverBatches { get; set; }

    /// <summary>How often batches are listed when <see cref="DiscoverBatches"/> is on.</summary>
    public TimeSpan DiscoverInterval { get; set; } = TimeSpan.FromMinutes(15);

    internal TimeSpan MaxAgeFor(string family) => family switch
    {
        JobFamily.Batch => MaxAgeBatch,
        JobFamily.Video => MaxAgeVideo,
        _ => MaxAgeInteraction,
    };
}
