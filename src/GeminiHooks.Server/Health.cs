using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GeminiHooks.Server;

/// <summary>
/// <c>/healthz</c> (liveness: 200 while the process serves, no check runs) and <c>/readyz</c> (the checks tagged
/// <c>ready</c>: the store answers and, with dynamic webhooks on, a JWKS is loaded). Both answer a small JSON object:
/// <c>{"status":"ready","store":"ok","jwks":"ok"}</c>, so an operator sees which part is not ready.
/// </summary>
static class Health
{
    public static void MapGeminiHooksHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteAsync });
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
