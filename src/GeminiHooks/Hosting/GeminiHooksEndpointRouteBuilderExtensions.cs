using GeminiHooks.Admin;
using GeminiHooks.Storage;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Hosting;

public static class GeminiHooksEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the delivery endpoints that are enabled (paths from configuration, read once at start), <c>/healthz</c>,
    /// <c>/readyz</c> and, when an admin key is configured, the operator API under <c>/admin</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapGeminiHooks(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var settings = endpoints.ServiceProvider.GetRequiredService<IOptions<GeminiHooksOptions>>().Value;
        var ingest = endpoints.ServiceProvider.GetRequiredService<IngestEndpoint>();
        if (settings.Static.Enabled)
            endpoints.MapPost(settings.Static.Path, (HttpContext context) => ingest.HandleAsync(context, IngestEndpoint.Static))
                .WithName("GeminiStaticWebhook")
                .RequireRateLimiting(DeliveryRateLimiting.PolicyName);
        if (settings.Dynamic.Enabled)
            endpoints.MapPost(settings.Dynamic.Path, (HttpContext context) => ingest.HandleAsync(context, IngestEndpoint.Dynamic))
                .WithName("GeminiDynamicWebhook")
                .RequireRateLimiting(DeliveryRateLimiting.PolicyName);

        endpoints.MapGet("/healthz", () => Results.Json(new Dictionary<string, string> { ["status"] = "ok" }));
        endpoints.MapGet("/readyz", ReadyAsync);
        endpoints.MapGeminiHooksAdmin();
        return endpoints;
    }

    /// <summary>Ready when the store answers and, with dynamic webhooks on, a JWKS has been loaded.</summary>
    static async Task<IResult> ReadyAsync(IEventStore store, JwksCache jwks, IOptionsMonitor<GeminiHooksOptions> options, CancellationToken cancellationToken)
    {
        var checks = new Dictionary<string, string>();
        var ready = true;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await store.PingAsync(timeout.Token);
            checks["store"] = "ok";
        }
        catch (Exception e) when (e is StoreUnavailableException or OperationCanceledException)
        {
            checks["store"] = "unavailable";
            ready = false;
        }
        if (options.CurrentValue.Dynamic.Enabled)
        {
            var loaded = jwks.Keys is not null;
            checks["jwks"] = loaded ? "ok" : "not loaded";
            ready &= loaded;
        }
        checks["status"] = ready ? "ready" : "not ready";
        return Results.Json(checks, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
