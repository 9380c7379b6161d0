namespace GeminiHooks.Configuration;

/// <summary>
/// One handler's rate limit (<c>Handlers:&lt;name&gt;:RateLimit</c>): a token bucket of <see cref="Burst"/> tokens refilled at
/// <see cref="PerSecond"/> tokens a second, one token per run started. The bucket is per process: with several replicas
/// each one starts up to <see cref="PerSecond"/> runs a second. Off while <see cref="PerSecond"/> is unset.
/// </summary>
public sealed class HandlerRateLimitOptions
{
    /// <summary>Runs started per second, more than 0 (fractions allowed: 0.5 is one run every 2 s); unset means no limit.</summary>
    public double? PerSecond { get; set; }

    /// <summary>
    /// Runs that may start back to back after a quiet spell, 1 to 10000. The default 1 spaces runs evenly, never closer
    /// than 1 / <see cref="PerSecond"/> seconds.
    /// </summary>
    public int Burst { get; set; } = 1;
}
