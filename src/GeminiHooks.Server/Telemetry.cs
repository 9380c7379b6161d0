using GeminiHooks.Configuration;
using GeminiHooks.Http;
using GeminiHooks.Observability;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GeminiHooks.Server;

/// <summary>
/// Exports the library's <c>GeminiHooks</c> meter and activity source (plus ASP.NET Core's own HTTP metrics): a
/// Prometheus scrape endpoint (<c>GeminiHooks:Metrics:PrometheusPath</c>, on its own <c>GeminiHooks:Metrics:Port</c>,
/// 9464 by default, or on the main listener with port 0) and, when a collector is configured, OTLP metrics and traces.
/// </summary>
static class Telemetry
{
    const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static void AddGeminiHooksTelemetry(this WebApplicationBuilder builder)
    {
        var settings = Settings(builder.Configuration);
        if (!settings.Enabled)
            return;

        // One way to name the collector: the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT from configuration, and
        // appends the per-signal paths for http/protobuf the same way whichever key the operator used.
        if (!string.IsNullOrEmpty(settings.OtlpEndpoint))
            builder.Configuration[OtlpEndpointKey] = settings.OtlpEndpoint;
        var otlp = !string.IsNullOrEmpty(builder.Configuration[OtlpEndpointKey]);
        var prometheus = !string.IsNullOrEmpty(settings.PrometheusPath);

        if (prometheus && settings.Port is > 0 and <= 65535)
            ListenAlsoOn(builder, settings.Port);

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("geminihooks"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GeminiHooksMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
                if (prometheus)
                    metrics.AddPrometheusExporter();
                if (otlp)
                    metrics.AddOtlpExporter();
            });
        // Spans only go somewhere with a collector; without one, no listener means the library creates none.
        if (otlp)
            telemetry.WithTracing(tracing => tracing
                .AddSource(GeminiHooksMetrics.ActivitySourceName)
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/healthz") && !context.Request.Path.StartsWithSegments("/readyz") &&
                    !(prometheus && context.Request.Path.StartsWithSegments(settings.PrometheusPath)))
                .AddOtlpExporter());
    }

    /// <summary>
    /// Call first, before any other middleware: a request to the metrics port is answered here, by the scrape or by
    /// 404, and never reaches the service's own pipeline (no delivery, admin or health endpoint answers there).
    /// </summary>
    public static void UseGeminiHooksMetricsPort(this WebApplication app)
    {
        var settings = Settings(app.Configuration);
        if (!settings.Enabled || string.IsNullOrEmpty(settings.PrometheusPath) || settings.Port <= 0)
            return;
        var port = settings.Port;
        var path = settings.PrometheusPath;
        app.MapWhen(context => context.Connection.LocalPort == port, metricsPort =>
        {
            metricsPort.UseOpenTelemetryPrometheusScrapingEndpoint(
                meterProvider: null,
                predicate: context => context.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase),
                path: null,
                configureBranchedPipeline: null,
                optionsName: null);
            metricsPort.Run(context => ProblemResponse.WriteAsync(context, StatusCodes.Status404NotFound,
                StatusCodeDetails.For(StatusCodes.Status404NotFound)));
        });
    }

    /// <summary>Maps the scrape endpoint on the main listener, only when the operator chose that (port 0).</summary>
    public static void MapGeminiHooksTelemetry(this WebApplication app)
    {
        var settings = Settings(app.Configuration);
        if (!settings.Enabled || string.IsNullOrEmpty(settings.PrometheusPath) || settings.Port != 0)
            return;
        app.MapPrometheusScrapingEndpoint(settings.PrometheusPath).DisableHttpMetrics();
    }

    static MetricsOptions Settings(IConfiguration configuration) =>
        configuration.GetSection($"{GeminiHooksOptions.SectionName}:Metrics").Get<MetricsOptions>() ?? new MetricsOptions();

    /// <summary>
    /// Adds the metrics port without dropping the service's own: Kestrel ignores the URL settings (ASPNETCORE_URLS,
    /// ASPNETCORE_HTTP_PORTS) as soon as any endpoint is configured explicitly, so the metrics port joins whichever form
    /// is in use.
    /// </summary>
    static void ListenAlsoOn(WebApplicationBuilder builder, int port)
    {
        var metricsUrl = $"http://*:{port}";
        if (builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            builder.Configuration["Kestrel:Endpoints:GeminiHooksMetrics:Url"] = metricsUrl;
            return;
        }
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        if (string.IsNullOrWhiteSpace(urls))
        {
            static IEnumerable<string> Ports(string? ports, string scheme) =>
                (ports ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(p => $"{scheme}://*:{p}");
            urls = string.Join(';', Ports(builder.Configuration[WebHostDefaults.HttpPortsKey], "http")
                .Concat(Ports(builder.Configuration[WebHostDefaults.HttpsPortsKey], "https")));
        }
        if (string.IsNullOrWhiteSpace(urls))
            urls = "http://localhost:5000"; // Kestrel's own default when nothing is configured
        builder.WebHost.UseUrls(urls + ";" + metricsUrl);
    }
}
