namespace GeminiHooks.Server;

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
