using System.Collections.Concurrent;
using GeminiHooks.Artifacts;

namespace GeminiHooks.Server.Tests.Artifacts;

/// <summary>What a test's result handler saw: how many times each (job, key) came, and how many were errors.</summary>
sealed class ResultLog
{
    public ConcurrentDictionary<(string Job, string? Key), int> Seen { get; } = new();
    public int Errors;
    public long LastLine;
}

/// <summary>A result handler that records every line it is given, in order per file.</summary>
sealed class RecordingResultHandler(ResultLog log) : IBatchResultHandler
{
    public Task HandleAsync(BatchResult result, CancellationToken cancellationToken)
    {
        log.Seen.AddOrUpdate((result.Job, result.Key), 1, (_, n) => n + 1);
        if (!result.Succeeded)
            Interlocked.Increment(ref log.Errors);
        Interlocked.Exchange(ref log.LastLine, result.LineNumber);
        return Task.CompletedTask;
    }
}

/// <summary>Throws once on line 5 of each file (before recording it), then records like <see cref="RecordingResultHandler"/>.</summary>
sealed class FlakyResultHandler(FlakyLog log) : IBatchResultHandler
{
    public Task HandleAsync(BatchResult result, CancellationToken cancellationToken)
    {
        if (result.LineNumber == 5 && log.Thrown.TryAdd(result.Job, true))
            throw new InvalidOperationException("downstream unavailable (test)");
        log.Lines.Enqueue(result.LineNumber);
        return Task.CompletedTask;
    }
}

sealed class FlakyLog
{
    public ConcurrentDictionary<string, bool> Thrown { get; } = new();
    public ConcurrentQueue<long> Lines { get; } = new();
}
