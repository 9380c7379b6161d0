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
