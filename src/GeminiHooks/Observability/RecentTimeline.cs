using GeminiHooks.Storage;

namespace GeminiHooks.Observability;

/// <summary>
/// The last hour of this process, minute by minute: deliveries by outcome, handler attempts by outcome, and the
/// store's backlog as last sampled in each minute. It feeds the chart on <c>/admin</c>.
/// </summary>
/// <remarks>
/// Why an in-memory ring and not the store: duplicates, rejections and 503s are never stored (nothing unverified is),
/// and the store keeps one row per pair, not the attempts that failed on the way, so the store cannot say "what
/// happened in the last hour". The price: with several replicas each one shows only its own deliveries and handler
/// runs (the backlog, read from the shared store, is the same everywhere), and a restart starts the hour afresh.
/// Prometheus (deploy/grafana) is the view across replicas and restarts.
/// </remarks>
sealed class RecentTimeline
{
    public const int Minutes = 60;

    /// <summary>One more slot than shown, so the minute being written never overwrites the oldest one shown.</summary>
    readonly Bucket[] _buckets = new Bucket[Minutes + 1];
    readonly TimeProvider _time;
    readonly Lock _gate = new();

    public RecentTimeline(TimeProvider time)
    {
        _time = time;
        for (var i = 0; i < _buckets.Length; i++)
            _buckets[i] = new Bucket();
    }

    public void Delivery(string outcome) => Add(b => b.Deliveries, outcome);

    public void HandlerRun(string outcome) => Add(b => b.HandlerRuns, outcome);

    /// <summary>Keeps the latest backlog sample of the current minute.</summary>
    public void Backlog(BacklogCounts counts)
    {
        lock (_gate)
            Current().Backlog = counts;
    }

    /// <summary>The last <see cref="Minutes"/> minutes, oldest first, the current (partial) minute last.</summary>
    public IReadOnlyList<TimelineMinute> Snapshot()
    {
        var now = MinuteOf(_time.GetUtcNow());
        var result = new List<TimelineMinute>(Minutes);
        lock (_gate)
        {
            for (var minute = now - Minutes + 1; minute <= now; minute++)
            {
                var bucket = _buckets[Slot(minute)];
                var start = DateTimeOffset.FromUnixTimeSeconds(minute * 60);
                result.Add(bucket.Minute == minute
                    ? new TimelineMinute(start, new Dictionary<string, long>(bucket.Deliveries), new Dictionary<string, long>(bucket.HandlerRuns), bucket.Backlog)
                    : new TimelineMinute(start, new Dictionary<string, long>(), new Dictionary<string, long>(), null));
            }
        }
        return result;
    }

    void Add(Func<Bucket, Dictionary<string, long>> counts, string outcome)
    {
        lock (_gate)
        {
            var map = counts(Current());
            map[outcome] = map.GetValueOrDefault(outcome) + 1;
        }
    }

    /// <summary>The bucket of this minute, emptied first if it still holds the minute an hour ago. Call under the lock.</summary>
    Bucket Current()
    {
        var minute = MinuteOf(_time.GetUtcNow());
        var bucket = _buckets[Slot(minute)];
        if (bucket.Minute != minute)
        {
            bucket.Minute = minute;
            bucket.Deliveries.Clear();
            bucket.HandlerRuns.Clear();
            bucket.Backlog = null;
        }
        return bucket;
    }

    static long MinuteOf(DateTimeOffset time) => (long)Math.Floor(time.ToUnixTimeSeconds() / 60.0);

    int Slot(long minute) => (int)(((minute % _buckets.Length) + _buckets.Length) % _buckets.Length);

    sealed class Bucket
    {
        public long Minute = long.MinValue;
        public readonly Dictionary<string, long> Deliveries = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> HandlerRuns = new(StringComparer.Ordinal);
        public BacklogCounts? Backlog;
    }
}
