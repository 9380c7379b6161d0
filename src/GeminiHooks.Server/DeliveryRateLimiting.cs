using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using GeminiHooks.Hosting;
using GeminiHooks.Http;
using GeminiHooks.Ingest;
using GeminiHooks.Observability;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Server;

/// <summary>
/// The delivery endpoints' rate limit (<c>GeminiHooks:RateLimit</c>): a fixed window per client, which is the forwarded
/// address when forwarded headers are on; an IPv6 client is its /64 network, since one host holds a whole /64 and could
/// otherwise take a fresh window per address. Settings are read per request, so a reload takes effect for the
/// next delivery (a changed limit starts fresh windows). Applied to the endpoints <c>MapGeminiHooks()</c> returns.
/// </summary>
static class DeliveryRateLimiting
{
    public const string PolicyName = "GeminiHooks.Deliveries";

    public static IServiceCollection AddDeliveryRateLimiting(this IServiceCollection services) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(PolicyName, Partition);
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectAsync;
        });

    static RateLimitPartition<PartitionKey> Partition(HttpContext context)
    {
        var settings = context.RequestServices.GetRequiredService<IOptionsMonitor<ServerOptions>>().CurrentValue.RateLimit;
        if (!settings.Enabled)
            return RateLimitPartition.GetNoLimiter(default(PartitionKey));
        // The limit is part of the key: after a reload, clients get windows of the new size, and old ones expire idle.
        var key = new PartitionKey(ClientOf(context.Connection.RemoteIpAddress), settings.PermitLimit, settings.Window);
        return RateLimitPartition.GetFixedWindowLimiter(key, k => new FixedWindowRateLimiterOptions
        {
            PermitLimit = k.PermitLimit,
            Window = k.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var window = context.RequestServices.GetRequiredService<IOptionsMonitor<ServerOptions>>().CurrentValue.RateLimit.Window;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var endpoint = context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ==
                       GeminiHooksEndpointRouteBuilderExtensions.DynamicEndpointName
            ? DeliveryEndpoints.Dynamic
            : DeliveryEndpoints.Static;
        context.RequestServices.GetRequiredService<GeminiHooksMetrics>().RateLimited(endpoint);
        await ProblemResponse.WriteAsync(context, StatusCodes.Status429TooManyRequests,
            "This client address sent more deliveries than GeminiHooks:RateLimit allows; retry after the Retry-After delay.");
    }

    /// <summary>
    /// The partition of a client: an IPv4 address (also when a dual-stack listener reports it as <c>::ffff:a.b.c.d</c>)
    /// as it is, an IPv6 address as its /64 network.
    /// </summary>
    internal static string ClientOf(IPAddress? address)
    {
        if (address is null)
            return "unknown";
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    readonly record struct PartitionKey(string Client, int PermitLimit, TimeSpan Window);
}
