using System.Diagnostics.Metrics;
using GeminiHooks.Configuration;
using GeminiHooks.Verification;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Observability;

/// <summary>
/// <c>geminihooks.ready</c>: 1 when the store answered its last backlog count and, with dynamic webhooks on, a JWKS is
/// loaded; else 0. Why a gauge beside <c>/readyz</c>: Prometheus scrapes <c>/metrics</c>, not <c>/readyz</c>, and an
/// alert on readiness needs a series.
/// </summary>
sealed class ReadinessGauge
{
    readonly BacklogGauge _backlog;
    readonly JwksCache _jwks;
    readonly IOptionsMonitor<GeminiHooksOptions> _options;
    readonly GeminiHooksMetrics _metrics;

    public ReadinessGauge(IMeterFactory meters, BacklogGauge backlog, JwksCache jwks, IOptionsMonitor<GeminiHooksOptions> options,
        GeminiHooksMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _backlog = backlog;
        _jwks = jwks;
        _options = options;
        _metrics = metrics;
        meters.Create(GeminiHooksMetrics.MeterName).CreateObservableGauge("geminihooks.ready", Observe, null,
            "1 when the service is ready (the store answered its last backlog count and, with dynamic webhooks on, a JWKS is loaded), else 0.");
    }

    IEnumerable<Measurement<long>> Observe()
    {
        var settings = _options.CurrentValue;
        // The first collection proves an exporter listens: the series alert rules watch start at zero from here.
        _metrics.CreateWatchedSeriesOnce(settings);
        if (_backlog.StoreAnswered is not { } storeAnswered)
            return [];
        var jwksLoaded = _jwks.Keys is not null;
        return [new(storeAnswered && (!settings.Dynamic.Enabled || jwksLoaded) ? 1 : 0)];
    }
}
