namespace GeminiHooks.Configuration;

/// <summary>
/// One handler's circuit breaker (<c>Handlers:&lt;name&gt;:CircuitBreaker</c>): after <see cref="FailureThreshold"/> failed
/// runs in a row its pairs wait, without spending attempts, for <see cref="BreakDuration"/>; then one probe run decides.
/// </summary>
public sealed class HandlerCircuitBreakerOptions
{
    /// <summary>Failed runs in a row that open the circuit; 0 (the default) means no breaker.</summary>
    public int FailureThreshold { get; set; }

    /// <summary>How long an open circuit holds the handler's pairs before one probe run.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
