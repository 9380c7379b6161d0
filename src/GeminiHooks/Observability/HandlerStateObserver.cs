using System.Diagnostics.Metrics;
using GeminiHooks.Dispatch;
using GeminiHooks.Storage;

namespace GeminiHooks.Observability;

/// <summary>
/// <c>geminihooks.handler.state</c>: per handler, 1 for its state (active, paused, open, half_open) and 0 for the
/// others; the circuit transitions seen between two reads are counted on <see cref="HandlerFlowMetrics"/>. Like
/// <see cref="BacklogGauge"/>, it reads the store only when observed: a scrape shows the last states and, when those are
/// older than 5 s, starts one new read in the background, so nothing is read without a listener and a slow store never
/// holds up a scrape (one read is taken at start, the baseline for transitions). The state is the store's (pause and circuit are shared), so every replica reports the same. A read
/// that fails keeps the last states: a handler must not look active because the store did not answer.
/// </summary>
sealed class HandlerStateObserver
{
    static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    readonly IEventStore _store;
    readonly HandlerCatalog _catalog;
    readonly HandlerFlowMetrics _metrics;
    readonly TimeProvider _time;
    volatile Snapshot? _last;
    int _reading;

    public HandlerStateObserver(IMeterFactory meters, IEventStore store, HandlerCatalog catalog, HandlerFlowMetrics metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _store = store;
        _catalog = catalog;
        _metrics = metrics;
        _time = time;
        meters.Create(GeminiHooksMetrics.MeterName).CreateObservableGauge("geminihooks.handler.state", Observe, "{state}",
            "Per handler, 1 for its current state (active, paused, open, half_open) and 0 for the others; read from the store at most every 5 s.");
    }

    /// <summary>
    /// Takes the first read at start, so the first scrape already compares against the states the service started with
    /// (a circuit that opens before the first scrape is a transition, one open at start is not).
    /// </summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _reading, 1) == 0)
            _ = ReadAsync(_last);
    }

    IEnumerable<Measurement<int>> Observe()
    {
        var last = _last;
        if ((last is null || _time.GetElapsedTime(last.At) >= CacheFor) && Interlocked.Exchange(ref _reading, 1) == 0)
            _ = ReadAsync(last);
        foreach (var handler in last?.States ?? [])
        {
            var current = HandlerFlowState.Of(handler);
            foreach (var state in HandlerFlowState.All)
                yield return new(state == current ? 1 : 0, new("handler", handler.Handler), new("state", state));
        }
    }

    async Task ReadAsync(Snapshot? previous)
    {
        try
        {
            using var timeout = new CancellationTokenSource(ReadTimeout);
            // Off the scrape's thread: the observer that started the read returns at once.
            await Task.Yield();
            var states = await _store.GetHandlerStatesAsync(_catalog.Names.Order(StringComparer.Ordinal).ToArray(), timeout.Token);
            // The first read is the baseline: a circuit already open at start is no transition.
            if (previous is not null)
            {
                var before = previous.States.ToDictionary(s => s.Handler, StringComparer.Ordinal);
                foreach (var state in states)
                {
                    if (before.TryGetValue(state.Handler, out var was))
                        CountTransitions(state.Handler, was.Circuit, state.Circuit);
                }
            }
            _last = new Snapshot(states, _time.GetTimestamp());
        }
        catch (Exception)
        {
            // Keep the last states, read again at the next stale observation; an observer must never throw into the exporter.
            if (previous is not null)
                _last = previous with { At = _time.GetTimestamp() };
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
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

    sealed record Snapshot(IReadOnlyList<HandlerState> States, long At);
}
