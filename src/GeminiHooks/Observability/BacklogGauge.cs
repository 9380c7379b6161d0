using System.Diagnostics;
using System.Diagnostics.Metrics;
using GeminiHooks.Storage;

namespace GeminiHooks.Observability;

/// <summary>
/// <c>geminihooks.backlog</c>: (event, handler) pairs in the store by status; <c>geminihooks.events_held</c>: events
/// kept back from handlers (quarantined, dead-lettered), which retention bounds. Counting is a query, so the gauges show
/// the last count and, when that is older than 5 s, starts one new count in the background: scrapes from several
/// collectors never add up to more than one query at a time, and a slow or unreachable store never holds up a scrape
/// (an observer is synchronous). A scrape therefore reads a count at most one scrape interval old.
/// </summary>
sealed class BacklogGauge
{
    static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    static readonly TimeSpan CountTimeout = TimeSpan.FromSeconds(5);

    readonly IEventStore _store;
    readonly RecentTimeline _timeline;
    volatile Snapshot? _last;
    int _counting;

    public BacklogGauge(IMeterFactory meters, IEventStore store, GeminiHooksMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(metrics);
        _store = store;
        _timeline = metrics.Timeline;
        var meter = meters.Create(GeminiHooksMetrics.MeterName);
        meter.CreateObservableGauge("geminihooks.backlog", Observe, "{run}",
            "(event, handler) pairs in the store by status (pending, running, succeeded, dead); cached for 5 s.");
        meter.CreateObservableGauge("geminihooks.events_held", ObserveHeld, "{event}",
            "Events kept back from handlers by status (quarantined, dead), until their retention deletes them; cached for 5 s.");
    }

    /// <summary>
    /// Whether the store answered the last count: null before any count finished. Reading it counts as an observation
    /// (a stale count starts a new one), so the readiness gauge follows the store too.
    /// </summary>
    public bool? StoreAnswered => Current()?.Answered;

    IEnumerable<Measurement<long>> Observe()
    {
        if (Current()?.Counts is not { } counts)
            return [];
        return
        [
            new(counts.Pending, new KeyValuePair<string, object?>("status", RunStatus.Pending)),
            new(counts.Running, new KeyValuePair<string, object?>("status", RunStatus.Running)),
            new(counts.Succeeded, new KeyValuePair<string, object?>("status", RunStatus.Succeeded)),
            new(counts.Dead, new KeyValuePair<string, object?>("status", RunStatus.Dead)),
        ];
    }

    IEnumerable<Measurement<long>> ObserveHeld()
    {
        if (Current()?.Held is not { } held)
            return [];
        return
        [
            new(held.Quarantined, new KeyValuePair<string, object?>("status", EventStatus.Quarantined)),
            new(held.Dead, new KeyValuePair<string, object?>("status", EventStatus.Dead)),
        ];
    }

    Snapshot? Current()
    {
        var last = _last;
        if ((last is null || Stopwatch.GetElapsedTime(last.At) > CacheFor) && Interlocked.Exchange(ref _counting, 1) == 0)
            _ = CountAsync();
        return last;
    }

    async Task CountAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(CountTimeout);
            // Off the caller's thread: the observer that started the count returns at once.
            await Task.Yield();
            var counts = await _store.CountAsync(timeout.Token);
            var held = await _store.CountHeldEventsAsync(timeout.Token);
            _last = new Snapshot(counts, held, true, Stopwatch.GetTimestamp());
            _timeline.Backlog(counts);
        }
        catch (Exception)
        {
            // Keep the last counts (the store may be down or shutting down): a gauge that vanishes reads as "no
            // backlog", and an observer must never throw into the exporter. Retried at the next stale observation.
            _last = new Snapshot(_last?.Counts, _last?.Held, false, Stopwatch.GetTimestamp());
        }
        finally
        {
            Volatile.Write(ref _counting, 0);
        }
    }

    sealed record Snapshot(BacklogCounts? Counts, EventCounts? Held, bool Answered, long At);
}
