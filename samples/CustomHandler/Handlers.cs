using System.Collections.Concurrent;
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
