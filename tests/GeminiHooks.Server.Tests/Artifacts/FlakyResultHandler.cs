using GeminiHooks.Artifacts;

namespace GeminiHooks.Server.Tests.Artifacts;

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
