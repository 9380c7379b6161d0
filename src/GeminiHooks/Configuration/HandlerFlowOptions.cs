namespace GeminiHooks.Configuration;

/// <summary>
/// How fast and how hard one handler is driven, whatever kind it is: configured handlers read it from
/// <c>Handlers:&lt;name&gt;</c>, code handlers get it through <c>AddHandler&lt;T&gt;(name, flow =&gt; ...)</c>.
/// Unset values take the global <c>Dispatch</c> ones.
/// </summary>
public class HandlerFlowOptions
{
    public HandlerRetryOptions Retry { get; set; } = new();

    /// <summary>Runs of this handler in flight at once in this process, 1 to 1024; default <c>Dispatch:Concurrency</c>.</summary>
    public int? Concurrency { get; set; }

    /// <summary>Off unless <see cref="HandlerCircuitBreakerOptions.FailureThreshold"/> is set.</summary>
    public HandlerCircuitBreakerOptions CircuitBreaker { get; set; } = new();

    /// <summary>Off unless <see cref="HandlerRateLimitOptions.PerSecond"/> is set.</summary>
    public HandlerRateLimitOptions RateLimit { get; set; } = new();
}
