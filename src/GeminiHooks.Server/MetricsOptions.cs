namespace GeminiHooks.Server;

/// <summary><c>GeminiHooks:Metrics</c>: where the host exposes the <c>GeminiHooks</c> meter and activity source.</summary>
public sealed class MetricsOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>The Prometheus scrape path; empty turns the scrape endpoint off.</summary>
    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>
    /// The port that serves the scrape endpoint and nothing else, so <c>/metrics</c> stays off the public listener;
    /// <c>0</c> serves the scrape on the main listener instead (only behind a proxy that keeps it private).
    /// </summary>
    public int Port { get; set; } = 9464;

    /// <summary>An OTLP collector for metrics and traces; <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> works as well.</summary>
    public string? OtlpEndpoint { get; set; }
}
