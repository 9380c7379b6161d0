using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GeminiHooks.Server;

/// <summary>
/// <c>/healthz</c> (liveness: 200 while the process serves, no check runs) and <c>/readyz</c> (the checks tagged
/// <c>ready</c>: the store answers and, with dynamic webhooks on, a JWKS is loaded; the report is reused for a second,
/// see <see cref="ReadinessCache"/>). Both answer a small JSON object:
/// <c>{"status":"ready","store":"ok","jwks":"ok"}</c>, so an operator sees which part is not ready.
/// </summary>
static class Health
{
    public static void AddGeminiHooksHealth(this WebApplicationBuilder builder) =>
        builder.Services.AddSingleton<ReadinessCache>();

    public static void MapGeminiHooksHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapMethods("/readyz", [HttpMethods.Get, HttpMethods.Head], async (HttpContext context, ReadinessCache readiness) =>
        {
            var report = await readiness.GetAsync();
            context.Response.StatusCode = report.Status == HealthStatus.Unhealthy
                ? StatusCodes.Status503ServiceUnavailable
                : StatusCodes.Status200OK;
            context.Response.Headers.CacheControl = "no-store, no-cache";
            await WriteAsync(context, report);
        });
    }

    static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var body = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var entry in report.Entries.Values)
            foreach (var (key, value) in entry.Data)
                body[key] = value;
        body["status"] = report.Entries.Count == 0 ? "ok" : report.Status == HealthStatus.Healthy ? "ready" : "not ready";
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
