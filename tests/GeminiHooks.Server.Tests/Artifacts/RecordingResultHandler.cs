using GeminiHooks.Artifacts;

namespace GeminiHooks.Server.Tests.Artifacts;

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
