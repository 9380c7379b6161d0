namespace GeminiHooks.Server;

/// <summary>
/// Settings only the deployable service reads (the library never does): rate limits, forwarded headers and metrics
/// export. Bound from the same <c>GeminiHooks</c> section as the library's options, so operators see one section.
/// </summary>
public sealed class ServerOptions
{
    public RateLimitOptions RateLimit { get; set; } = new();
    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();
    public MetricsOptions Metrics { get; set; } = new();
}

/// <summary>
/// <c>GeminiHooks:RateLimit</c>: a fixed window per client (an IPv4 address, or the /64 network of an IPv6 address, the
/// block one host usually holds) on the delivery endpoints. On by default, at a limit Gemini's own traffic never
/// reaches (one delivery per job event, retries paced over 24 hours): it bounds what one unauthenticated client can
/// make the receiver verify. Behind a proxy, turn forwarded headers on, or every client shares the proxy's window.
/// </summary>
public sealed class RateLimitOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Deliveries one client may send per <see cref="Window"/>; more get 429 with Retry-After.</summary>
    public int PermitLimit { get; set; } = 1000;

    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// <c>GeminiHooks:ForwardedHeaders</c>: trust <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c> from the listed proxies
/// (loopback when none is listed), so logs, rate limits and redirects see the real client. Read once at start.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public bool Enabled { get; set; }

    /// <summary>Proxy addresses (<c>10.0.0.5</c>) whose forwarded headers are believed.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR form (<c>172.18.0.0/16</c>) whose forwarded headers are believed.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in front of the service to unwrap (entries taken from the end of X-Forwarded-For).</summary>
    public int ForwardLimit { get; set; } = 1;
}

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
