using System.Diagnostics;
using GeminiHooks.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GeminiHooks.Server;

/// <summary>
/// <c>/readyz</c> is unauthenticated: without a cache, every probe (or every request of a flood) would cost a store
/// query. One check runs at a time, and its report answers every probe for <see cref="Lifetime"/> after it finished.
/// Measured on the monotonic clock, not the service's <see cref="TimeProvider"/>: this paces real work, and a clock
/// that tests hold still must not freeze readiness.
/// </summary>
sealed class ReadinessCache(HealthCheckService health)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    readonly Lock _gate = new();
    Task<HealthReport>? _current;
    long _expires;

    public Task<HealthReport> GetAsync()
    {
        lock (_gate)
        {
            if (_current is null || (_current.IsCompleted && Stopwatch.GetTimestamp() >= _expires))
                _current = RunAsync();
            return _current;
        }
    }

    async Task<HealthReport> RunAsync()
    {
        try
        {
            // Not the probe's token: the report is shared, and one impatient client must not cancel it for the others.
            return await health.CheckHealthAsync(
                c => c.Tags.Contains(GeminiHooksServiceCollectionExtensions.ReadinessTag), CancellationToken.None);
        }
        finally
        {
            lock (_gate)
                _expires = Stopwatch.GetTimestamp() + (long)(Lifetime.TotalSeconds * Stopwatch.Frequency);
        }
    }
}
