using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Verification;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Observability;

/// <summary>
/// Ready when the store answers and, with dynamic webhooks on, a JWKS has been loaded: before that, every delivery
/// would be a 503. Registered with the tag <c>ready</c>; the host maps it where it wants (the server: <c>/readyz</c>).
/// The result's data names each part (<c>store</c>, <c>jwks</c>) with <c>ok</c>, <c>unavailable</c> or <c>not loaded</c>.
/// </summary>
sealed class ReadinessHealthCheck(IEventStore store, StoreStartup startup, JwksCache jwks, IOptionsMonitor<GeminiHooksOptions> options)
    : IHealthCheck
{
    public const string Name = "geminihooks";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var parts = new Dictionary<string, object>(StringComparer.Ordinal);
        var ready = true;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            if (!startup.Initialized)
                throw new StoreUnavailableException("The store has not been initialised yet.");
            await store.PingAsync(timeout.Token);
            parts["store"] = "ok";
        }
        catch (Exception e) when (e is StoreUnavailableException or OperationCanceledException)
        {
            parts["store"] = "unavailable";
            ready = false;
        }
        if (options.CurrentValue.Dynamic.Enabled)
        {
            var loaded = jwks.Keys is not null;
            parts["jwks"] = loaded ? "ok" : "not loaded";
            ready &= loaded;
        }
        return ready ? HealthCheckResult.Healthy(data: parts) : HealthCheckResult.Unhealthy(data: parts);
    }
}
