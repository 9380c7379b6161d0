namespace GeminiHooks.Dispatch;

/// <summary>Exponential backoff with jitter, so handlers failing together against one downstream do not retry in lockstep.</summary>
static class RetryPolicy
{
    public const double Jitter = 0.2;

    /// <summary>Keeps now + delay representable whatever RetryMaxDelay says.</summary>
    static readonly TimeSpan Ceiling = TimeSpan.FromDays(3650);

    /// <param name="attempt">The attempt that just failed, from 1.</param>
    /// <param name="random01">A uniform number in [0, 1).</param>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double random01)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 62);
        var raw = Math.Min(baseDelay.Ticks * Math.Pow(2, exponent), Math.Min(maxDelay.Ticks, Ceiling.Ticks));
        var jittered = raw * (1 - Jitter + (2 * Jitter * random01));
        return TimeSpan.FromTicks((long)Math.Max(0, jittered));
    }

    /// <summary>
    /// The backoff <paramref name="delay"/>, lengthened to what a downstream asked for, capped by
    /// <paramref name="maxDelay"/> (a Retry-After of a day must not park a handler whose operator allows an hour).
    /// </summary>
    public static TimeSpan NotBefore(TimeSpan delay, TimeSpan asked, TimeSpan maxDelay)
    {
        var wanted = asked < maxDelay ? asked : maxDelay;
        return wanted > delay ? wanted : delay;
    }
}
