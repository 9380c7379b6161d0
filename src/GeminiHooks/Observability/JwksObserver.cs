using System.Diagnostics.Metrics;
using GeminiHooks.Verification;

namespace GeminiHooks.Observability;

/// <summary><c>geminihooks.jwks.refreshes</c>: the JWKS cache's fetches by result, read from the cache when collected.</summary>
sealed class JwksObserver
{
    readonly JwksCache _jwks;

    public JwksObserver(IMeterFactory meters, JwksCache jwks)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _jwks = jwks;
        meters.Create(GeminiHooksMetrics.MeterName).CreateObservableCounter("geminihooks.jwks.refreshes", Observe, "{fetch}",
            "JWKS fetches by result (succeeded, failed).");
    }

    IEnumerable<Measurement<long>> Observe()
    {
        var (succeeded, failed) = _jwks.FetchCounts;
        return
        [
            new(succeeded, new KeyValuePair<string, object?>("result", "succeeded")),
            new(failed, new KeyValuePair<string, object?>("result", "failed")),
        ];
    }
}
