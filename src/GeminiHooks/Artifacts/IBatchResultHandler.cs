namespace GeminiHooks.Artifacts;

/// <summary>
/// Takes every result of every stored batch responses file, in file order. Register with
/// <c>AddGeminiHooks(configuration).AddBatchResultHandler&lt;T&gt;()</c>; one instance (from a DI scope) per file.
/// Progress is saved every <c>Artifacts:CheckpointLines</c> lines: after a crash or restart the lines after the last
/// saved one are handed over again, so make the work idempotent on (<see cref="BatchResult.Job"/>,
/// <see cref="BatchResult.Key"/>). Throwing stops the file at that line; it is handed over again after a backoff.
/// </summary>
public interface IBatchResultHandler
{
    Task HandleAsync(BatchResult result, CancellationToken cancellationToken);
}
