using System.Diagnostics.Metrics;
using GeminiHooks.Dispatch;
using GeminiHooks.Storage;
using Microsoft.Extensions.Hosting;

namespace GeminiHooks.Observability;

/// <summary>
/// <c>geminihooks.handler.state</c>: per handler, 1 for its state (active, paused, open, half_open) and 0 for the
/// others, read from the store every 5 s; the circuit transitions it sees between two reads are counted on
/// <see cref="HandlerFlowMetrics"/>. The state is the store's (pause and circuit are shared by every replica), so every
/// replica reports the same values. A read that fails keeps the last states: an observer must not make a handler look
/// active because the store did not answer.
/// </summary>
sealed class HandlerStateObserver : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    readonly IEventStore _store;
    readonly HandlerCatalog _catalog;
    readonly HandlerFlowMetrics _metrics;
    readonly TimeProvider _time;
    volatile IReadOnlyList<HandlerState> _last = [];

    public HandlerStateObserver(IMeterFactory meters, IEventStore store, HandlerCatalog catalog, HandlerFlowMetrics metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _store = store;
        _catalog = catalog;
        _metrics = metrics;
        _time = time;
        meters.Create(GeminiHooksMetrics.MeterName).CreateObservableGauge("geminihooks.handler.state", Observe, "{state}",
            "Per handler, 1 for its current state (active, paused, open, half_open) and 0 for the others; read from the store every 5 s.");
    }

    IEnumerable<Measurement<int>> Observe()
    {
        foreach (var handler in _last)
        {
            var current = HandlerFlowState.Of(handler);
            foreach (var state in HandlerFlowState.All)
                yield return new(state == current ? 1 : 0, new("handler", handler.Handler), new("state", state));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path before the first store call.
        await Task.Yield();
        Dictionary<string, HandlerState>? previous = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var states = await _store.GetHandlerStatesAsync(_catalog.Names.Order(StringComparer.Ordinal).ToArray(), stoppingToken);
                // The first read is the baseline: a circuit already open at start is no transition.
                if (previous is not null)
                {
                    foreach (var state in states)
                    {
                        if (previous.TryGetValue(state.Handler, out var before))
                            CountTransitions(state.Handler, before.Circuit, state.Circuit);
                    }
                }
                previous = states.ToDictionary(s => s.Handler, StringComparer.Ordinal);
                _last = states;
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The store is away: keep the last states and look again at the next turn.
            }
            try
            {
                await Task.Delay(Interval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The transitions from one observed circuit to the next. A circuit only closes through a probe, so open → closed
    /// passed through half_open; a probe that failed between two reads (open → half_open → open) is not seen.
    /// </summary>
    void CountTransitions(string handler, string before, string after)
    {
        if (before == after)
            return;
        switch (before, after)
        {
            case (HandlerState.Closed, HandlerState.HalfOpen):
                _metrics.Transition(handler, HandlerState.Open);
                _metrics.Transition(handler, HandlerState.HalfOpen);
                break;
            case (HandlerState.Open, HandlerState.Closed):
                _metrics.Transition(handler, HandlerState.HalfOpen);
                _metrics.Transition(handler, HandlerState.Closed);
                break;
            default:
                _metrics.Transition(handler, after);
                break;
        }
    }
}
