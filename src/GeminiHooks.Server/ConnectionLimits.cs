using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GeminiHooks.Server;

/// <summary>
/// Kestrel limits that bound what clients can hold before they are authenticated: connections open at once, and how
/// slowly a body may arrive. A delivery is verified only once its whole body is in, so a client that trickles bodies
/// over many connections would otherwise hold them (and their buffers) for as long as it likes.
/// </summary>
static class ConnectionLimits
{
    /// <summary>
    /// Open connections per server (Kestrel counts them across its listeners). Far above what Gemini and an operator
    /// need at once; each idle or slow connection costs a few KiB, so this bounds that memory to tens of MB.
    /// </summary>
    public const int MaxConnections = 10_000;

    /// <summary>
    /// The slowest a request body may arrive after <see cref="MinBodyRateGrace"/>: a 256 KiB body from Gemini arrives in
    /// milliseconds, while a client sending less than 1 KiB a second is answered 408 and its connection closed.
    /// </summary>
    public const double MinBodyBytesPerSecond = 1024;

    public static readonly TimeSpan MinBodyRateGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest request line (method, path and query). Kestrel's 8 KiB default answered a search with one long
    /// value 414 with no body, before the operator API could say which key is too long; at 16 KiB a search holding a
    /// 10 KiB value gets the API's 400 naming the key. Headers are already allowed 32 KiB, so a connection can hold
    /// no more than before.
    /// </summary>
    public const int MaxRequestLineBytes = 16 * 1024;

    public static IServiceCollection AddConnectionLimits(this IServiceCollection services) =>
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            // A host that set its own limit (ConfigureKestrel) keeps it.
            kestrel.Limits.MaxConcurrentConnections ??= MaxConnections;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(MinBodyBytesPerSecond, MinBodyRateGrace);
            kestrel.Limits.MaxRequestLineSize = Math.Max(kestrel.Limits.MaxRequestLineSize, MaxRequestLineBytes);
        });
}
