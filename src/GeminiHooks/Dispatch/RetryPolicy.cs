namespace GeminiHooks.Dispatch;

/// <summary>Exponential backoff with jitter, so handlers failing together against one downstream do not retry in lockstep.</summary>
static class RetryPolicy
{
    public const double Jitter = 0.2;

    /// <param name="attempt">The attempt that just failed, from 1.</param>
    /// <param name="random01">A uniform number in [0, 1).</param>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double random01)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 62);
        var raw = Math.Min(baseDelay.Ticks * Math.Pow(2, exponent), maxDelay.Ticks);
        var jittered = raw * (1 - Jitter + (2 * Jitter * random01));
        return TimeSpan.FromTicks((long)Math.Max(0, jittered));
    }
}
