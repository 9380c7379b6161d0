using System.Globalization;
using System.Threading.RateLimiting;
using GeminiHooks.Hosting;
using GeminiHooks.Http;
using GeminiHooks.Ingest;
using GeminiHooks.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Server;

/// <summary>
/// The delivery endpoints' rate limit (<c>GeminiHooks:RateLimit</c>): a fixed window per client address, which is the
/// forwarded address when forwarded headers are on. Settings are read per request, so a reload takes effect for the
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
        var key = new PartitionKey(ClientAddress.Of(context) ?? "unknown", settings.PermitLimit, settings.Window);
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

    readonly record struct PartitionKey(string? Address, int PermitLimit, TimeSpan Window);
}
