namespace GeminiHooks.Dispatch;

/// <summary>
/// The token buckets of the rate-limited handlers, in this process. Only the dispatcher's loop uses it (claims and
/// starts happen there, one at a time), so it takes no lock. A bucket starts full and follows its handler's settings
/// as they are now, so a reload takes effect at the next look.
/// </summary>
sealed class HandlerRateLimiter(TimeProvider time)
{
    readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Whole tokens in the handler's bucket now; <see cref="int.MaxValue"/> for a handler without a limit.</summary>
    public int Available(HandlerDescriptor handler)
    {
        if (!handler.Flow.RateLimited)
            return int.MaxValue;
        return (int)Math.Floor(Refill(handler).Tokens);
    }

    /// <summary>Takes a token for a run about to start; false (nothing taken) when the bucket holds none.</summary>
    public bool TryTake(HandlerDescriptor handler)
    {
        if (!handler.Flow.RateLimited)
            return true;
        var bucket = Refill(handler);
        if (bucket.Tokens < 1)
            return false;
        bucket.Tokens -= 1;
        return true;
    }

    /// <summary>
    /// Whether the handler's bucket was empty until just now (it gained its next token within the last 1 / PerSecond
    /// seconds, at most a second): pairs claimed now were most likely waiting for that token. A pair that arrives long
    /// after the bucket refilled did not wait, and is not counted. Answers true once per refill.
    /// </summary>
    public bool WaitedForToken(HandlerDescriptor handler)
    {
        if (!handler.Flow.RateLimited)
            return false;
        var bucket = Refill(handler);
        if (bucket.ReadyAt is not { } readyAt)
            return false;
        bucket.ReadyAt = null;
        var window = TimeSpan.FromSeconds(Math.Min(1, 1 / handler.Flow.RatePerSecond));
        return time.GetElapsedTime(readyAt) <= window;
    }

    /// <summary>How long until the first of <paramref name="handlers"/> with an empty bucket has a token again; null when none is empty.</summary>
    public TimeSpan? UntilNextToken(IEnumerable<HandlerDescriptor> handlers)
    {
        TimeSpan? soonest = null;
        foreach (var handler in handlers)
        {
            if (!handler.Flow.RateLimited)
                continue;
            var bucket = Refill(handler);
            if (bucket.Tokens >= 1)
                continue;
            var wait = TimeSpan.FromSeconds((1 - bucket.Tokens) / handler.Flow.RatePerSecond);
            if (soonest is null || wait < soonest)
                soonest = wait;
        }
        return soonest;
    }

    Bucket Refill(HandlerDescriptor handler)
    {
        var now = time.GetTimestamp();
        var flow = handler.Flow;
        if (!_buckets.TryGetValue(handler.Name, out var bucket))
        {
            bucket = new Bucket { Tokens = flow.RateBurst, At = now };
            _buckets[handler.Name] = bucket;
            return bucket;
        }
        var elapsed = Math.Max(0, time.GetElapsedTime(bucket.At, now).TotalSeconds);
        var tokens = bucket.Tokens + elapsed * flow.RatePerSecond;
        // The moment an empty bucket got its token back, for WaitedForToken.
        if (bucket.Tokens < 1 && tokens >= 1)
            bucket.ReadyAt = bucket.At + (long)((1 - bucket.Tokens) / flow.RatePerSecond * time.TimestampFrequency);
        bucket.Tokens = Math.Min(flow.RateBurst, tokens);
        bucket.At = now;
        return bucket;
    }

    sealed class Bucket
    {
        public double Tokens { get; set; }
        public long At { get; set; }
        public long? ReadyAt { get; set; }
    }
}
