using GeminiHooks.Admin;
using GeminiHooks.Configuration;
using GeminiHooks.Ingest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Hosting;

public static class GeminiHooksEndpointRouteBuilderExtensions
{
    /// <summary>Endpoint name of the static delivery endpoint (routing metadata, e.g. for a rate-limit policy).</summary>
    public const string StaticEndpointName = "GeminiStaticWebhook";

    /// <summary>Endpoint name of the dynamic delivery endpoint.</summary>
    public const string DynamicEndpointName = "GeminiDynamicWebhook";

    /// <summary>
    /// Maps the delivery endpoints that are enabled (paths from configuration, read once at start). The returned
    /// builder applies conventions to those endpoints only, e.g. <c>.RequireHost(...)</c> or a rate-limit policy.
    /// Health (<see cref="Observability.ReadinessHealthCheck"/>, tag <c>ready</c>) and the operator API
    /// (<see cref="MapGeminiHooksAdmin"/>) are mapped separately, at URLs the host chooses.
    /// </summary>
    public static RouteGroupBuilder MapGeminiHooks(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var settings = endpoints.ServiceProvider.GetRequiredService<IOptions<GeminiHooksOptions>>().Value;
        var ingest = endpoints.ServiceProvider.GetRequiredService<IngestEndpoint>();
        // An empty prefix: the group exists to carry the host's conventions, not to change the paths.
        var deliveries = endpoints.MapGroup("");
        if (settings.Static.Enabled)
            deliveries.MapPost(settings.Static.Path, (HttpContext context) => ingest.HandleAsync(context, IngestEndpoint.Static))
                .WithName(StaticEndpointName);
        if (settings.Dynamic.Enabled)
            deliveries.MapPost(settings.Dynamic.Path, (HttpContext context) => ingest.HandleAsync(context, IngestEndpoint.Dynamic))
                .WithName(DynamicEndpointName);
        return deliveries;
    }

    /// <summary>
    /// Maps the operator API and dashboard under <c>/admin</c> when <c>GeminiHooks:Admin:ApiKey</c> is set; otherwise
    /// maps nothing, so the API answers 404. Requests need <c>Authorization: Bearer &lt;key&gt;</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapGeminiHooksAdmin(this IEndpointRouteBuilder endpoints) => AdminEndpoints.Map(endpoints);
}
