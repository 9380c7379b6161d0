using System.Collections.Concurrent;
using System.Diagnostics;
using GeminiHooks.Events;
using GeminiHooks.Handlers;

namespace GeminiHooks.Tests.Dispatch;

/// <summary>When each run began, per handler, on one stopwatch.</summary>
public sealed class Stamps(Stopwatch clock)
{
    readonly ConcurrentDictionary<string, ConcurrentQueue<TimeSpan>> _starts = new(StringComparer.Ordinal);

    public void Add(string handler) => _starts.GetOrAdd(handler, _ => new()).Enqueue(clock.Elapsed);

    public void Clear() => _starts.Clear();

    public TimeSpan[] Of(string handler) => _starts.TryGetValue(handler, out var starts) ? starts.Order().ToArray() : [];
}

public sealed class StampHandler(Stamps stamps) : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
    {
        stamps.Add(@event.Delivery.Handler);
        return Task.CompletedTask;
    }
}
