using GeminiHooks.Configuration;

namespace GeminiHooks.Dispatch;

/// <summary>
/// One handler's flow settings with the global <c>Dispatch</c> values filled in where it names none. Resolved when the
/// catalog is built, so a reload of either the handler or <c>Dispatch</c> takes effect together.
/// </summary>
sealed record HandlerFlow(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay, int Concurrency, int FailureThreshold = 0,
    TimeSpan BreakDuration = default)
{
    public const int MaxConcurrency = 1024;

    public static HandlerFlow Resolve(HandlerFlowOptions? own, DispatchOptions dispatch) => new(
        own?.Retry?.MaxAttempts ?? dispatch.MaxAttempts,
        own?.Retry?.BaseDelay ?? dispatch.RetryBaseDelay,
        own?.Retry?.MaxDelay ?? dispatch.RetryMaxDelay,
        own?.Concurrency ?? dispatch.Concurrency,
        own?.CircuitBreaker?.FailureThreshold ?? 0,
        own?.CircuitBreaker?.BreakDuration ?? TimeSpan.Zero);

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
    }
}
