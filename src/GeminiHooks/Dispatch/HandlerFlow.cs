using GeminiHooks.Configuration;

namespace GeminiHooks.Dispatch;

/// <summary>
/// One handler's flow settings with the global <c>Dispatch</c> values filled in where it names none. Resolved when the
/// catalog is built, so a reload of either the handler or <c>Dispatch</c> takes effect together.
/// </summary>
sealed record HandlerFlow(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay, int Concurrency, int FailureThreshold = 0,
    TimeSpan BreakDuration = default, double RatePerSecond = 0, int RateBurst = 1)
{
    public const int MaxConcurrency = 1024;
    public const int MaxBurst = 10_000;

    /// <summary>Whether runs of this handler wait for a token of its rate limit.</summary>
    public bool RateLimited => RatePerSecond > 0;

    public static HandlerFlow Resolve(HandlerFlowOptions? own, DispatchOptions dispatch) => new(
        own?.Retry?.MaxAttempts ?? dispatch.MaxAttempts,
        own?.Retry?.BaseDelay ?? dispatch.RetryBaseDelay,
        own?.Retry?.MaxDelay ?? dispatch.RetryMaxDelay,
        own?.Concurrency ?? dispatch.Concurrency,
        own?.CircuitBreaker?.FailureThreshold ?? 0,
        own?.CircuitBreaker?.BreakDuration ?? TimeSpan.Zero,
        own?.RateLimit?.PerSecond ?? 0,
        own?.RateLimit?.Burst ?? 1);

    /// <summary>One line per bad value, each naming <paramref name="key"/> and the setting.</summary>
    public static void Validate(string key, HandlerFlowOptions own, DispatchOptions dispatch, ICollection<string> failures)
    {
        var retry = own.Retry ?? new HandlerRetryOptions();
        if (retry.MaxAttempts is < 1)
            failures.Add($"{key}:Retry:MaxAttempts must be at least 1");
        if (retry.BaseDelay is { } baseDelay && baseDelay <= TimeSpan.Zero)
            failures.Add($"{key}:Retry:BaseDelay must be positive");
        // Compared with the delay in effect, so a handler that only raises BaseDelay above Dispatch:RetryMaxDelay is told.
        var flow = Resolve(own, dispatch);
        if (flow.BaseDelay > TimeSpan.Zero && flow.MaxDelay < flow.BaseDelay)
            failures.Add($"{key}:Retry:MaxDelay must not be shorter than Retry:BaseDelay ({flow.MaxDelay} < {flow.BaseDelay})");
        if (own.Concurrency is < 1 or > MaxConcurrency)
            failures.Add($"{key}:Concurrency must be between 1 and {MaxConcurrency}");
        var breaker = own.CircuitBreaker ?? new HandlerCircuitBreakerOptions();
        if (breaker.FailureThreshold < 0)
            failures.Add($"{key}:CircuitBreaker:FailureThreshold must be 0 (no breaker) or more");
        if (breaker.FailureThreshold > 0 && breaker.BreakDuration <= TimeSpan.Zero)
            failures.Add($"{key}:CircuitBreaker:BreakDuration must be positive");
        var rate = own.RateLimit ?? new HandlerRateLimitOptions();
        if (rate.PerSecond is { } perSecond && !(perSecond > 0 && double.IsFinite(perSecond)))
            failures.Add($"{key}:RateLimit:PerSecond must be more than 0 (leave it unset for no limit)");
        if (rate.Burst is < 1 or > MaxBurst)
            failures.Add($"{key}:RateLimit:Burst must be between 1 and {MaxBurst}");
    }
}
