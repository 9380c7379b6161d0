using GeminiHooks.Storage;

namespace GeminiHooks.Reconciliation;

/// <summary>
/// Tracks jobs a .NET application creates itself, so reconciliation can announce them if Gemini does not: call
/// <see cref="TrackAsync"/> with the name the creation call answered (<c>batches/…</c>, <c>models/…/operations/…</c>,
/// <c>interactions/…</c>).
/// </summary>
public sealed class GeminiJobTracker
{
    readonly IEventStore _store;
    readonly TimeProvider _time;

    public GeminiJobTracker(IEventStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>
    /// Starts tracking the job; false when it is tracked already. Throws <see cref="ArgumentException"/> for a name that
    /// is not a job's, and <see cref="InvalidOperationException"/> when the configured store keeps no tracked jobs.
    /// </summary>
    public Task<bool> TrackAsync(string name, CancellationToken cancellationToken)
    {
        var key = JobNames.Parse(name) ?? throw new ArgumentException(
            $"'{name}' is not a job name ({JobNames.Forms}).", nameof(name));
        var jobs = _store as IJobStore ?? throw new InvalidOperationException("The configured store does not keep tracked jobs.");
        return jobs.TrackAsync(JobNames.ResourceName(name), key, _time.GetUtcNow(), cancellationToken);
    }
}
