namespace GeminiHooks.Server;

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
