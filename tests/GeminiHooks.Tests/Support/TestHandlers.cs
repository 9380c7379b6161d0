using System.Collections.Concurrent;
using GeminiHooks.Events;
using GeminiHooks.Handlers;

namespace GeminiHooks.Tests.Support;

/// <summary>Shared, thread-safe record of what test handlers saw; registered as a singleton instance.</summary>
public sealed class Recorder
{
    public ConcurrentQueue<(string Handler, GeminiEvent Event)> Seen { get; } = new();
    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    public void Record(string handler, GeminiEvent e)
    {
        Seen.Enqueue((handler, e));
        Calls.AddOrUpdate(handler, 1, (_, n) => n + 1);
    }

    public int CallsOf(string handler) => Calls.GetValueOrDefault(handler);

    /// <summary>While true, <see cref="FlakyHandler"/> throws.</summary>
    public volatile bool Failing = true;
}

sealed class SteadyHandler(Recorder recorder) : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
    {
        recorder.Record(@event.Delivery.Handler, @event);
        return Task.CompletedTask;
    }
}

sealed class FlakyHandler(Recorder recorder) : IGeminiEventHandler<BatchSucceeded>
{
    public Task HandleAsync(BatchSucceeded @event, CancellationToken cancellationToken)
    {
        recorder.Record(@event.Delivery.Handler, @event);
        return recorder.Failing
            ? throw new InvalidOperationException("downstream is down")
            : Task.CompletedTask;
    }
}

sealed class BatchOnlyHandler(Recorder recorder) : IGeminiEventHandler<BatchSucceeded>, IGeminiEventHandler<BatchFailed>
{
    public Task HandleAsync(BatchSucceeded @event, CancellationToken cancellationToken)
    {
        recorder.Record("BatchOnly:succeeded", @event);
        return Task.CompletedTask;
    }

    public Task HandleAsync(BatchFailed @event, CancellationToken cancellationToken)
    {
        recorder.Record("BatchOnly:failed", @event);
        return Task.CompletedTask;
    }
}
