using System.Collections.Concurrent;
using GeminiHooks.Artifacts;
using GeminiHooks.Events;
using GeminiHooks.Handlers;

namespace CustomHandler;

/// <summary>Where finished batches put their results; a real app would write to its database.</summary>
public sealed class OutputFiles
{
    public ConcurrentDictionary<string, string> ByBatch { get; } = new();
}

/// <summary>Records each finished batch's output file. Keyed by batch id, so a repeated run changes nothing.</summary>
public sealed class RecordBatchOutput(OutputFiles outputs) : IGeminiEventHandler<BatchSucceeded>
{
    public Task HandleAsync(BatchSucceeded @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        outputs.ByBatch[@event.Id ?? @event.Delivery.WebhookId] = @event.OutputFileUri ?? "";
        return Task.CompletedTask;
    }
}

/// <summary>
/// Flags an interaction waiting for us; the event carries only its id, so what it needs is read from the interaction
/// (<c>GET /v1beta/interactions/{id}</c>). Throwing here would retry it with backoff.
/// </summary>
public sealed partial class EscalateRequiredAction(ILogger<EscalateRequiredAction> logger) : IGeminiEventHandler<InteractionRequiresAction>
{
    public Task HandleAsync(InteractionRequiresAction @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        LogNeedsAction(logger, @event.Id);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Interaction {Interaction} needs action")]
    static partial void LogNeedsAction(ILogger logger, string? interaction);
}

/// <summary>
/// Appends each batch result as <c>job, key, line number, ok|error</c> (tab-separated) to <c>Results:Path</c>; a real app
/// would upsert on (job, key) in its database, since the lines after the last checkpoint may come again after a crash.
/// </summary>
public sealed class ResultsFile : IDisposable
{
    readonly Lock _gate = new();
    readonly StreamWriter _writer;

    public ResultsFile(IConfiguration configuration)
    {
        var path = configuration["Results:Path"] ?? "data/results.tsv";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public void Append(BatchResult result)
    {
        lock (_gate)
            _writer.Write($"{result.Job}\t{result.Key}\t{result.LineNumber}\t{(result.Succeeded ? "ok" : "error")}\n");
    }

    public void Dispose() => _writer.Dispose();
}

/// <summary>Every line of every stored batch responses file (with <c>GeminiHooks:Artifacts:Enabled</c>), in order.</summary>
public sealed class AppendBatchResults(ResultsFile results) : IBatchResultHandler
{
    public Task HandleAsync(BatchResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        results.Append(result);
        return Task.CompletedTask;
    }
}
