using System.Collections.Concurrent;

namespace GeminiHooks.Cli.Emulator;

/// <summary>The emulator's in-memory jobs (batches, videos, interactions), by resource name, beside <see cref="WebhookRegistry"/>.</summary>
internal sealed class JobRegistry
{
    readonly ConcurrentDictionary<string, EmulatedJob> _jobs = new(StringComparer.Ordinal);

    public void Add(EmulatedJob job) => _jobs[job.Name] = job;

    public EmulatedJob? Find(string name) => _jobs.GetValueOrDefault(name);

    /// <summary>Records the job's end; null when no such job exists.</summary>
    public EmulatedJob? Finish(string name, string type, string endTime)
    {
        while (_jobs.TryGetValue(name, out var job))
        {
            var ended = job with { EndedWith = type, EndTime = endTime };
            if (_jobs.TryUpdate(name, ended, job))
                return ended;
        }
        return null;
    }

    /// <summary>Every job in creation order (then by name, for jobs created in the same millisecond).</summary>
    public IReadOnlyList<EmulatedJob> All(JobKind? kind = null) =>
        _jobs.Values.Where(j => kind is null || j.Kind == kind)
            .OrderBy(j => j.CreateTime, StringComparer.Ordinal).ThenBy(j => j.Name, StringComparer.Ordinal).ToList();
}
