using GeminiHooks.Observability;

namespace GeminiHooks.Server;

/// <summary>
/// Counts every answer with a 5xx status other than 503 (<c>geminihooks_server_errors_total</c>), whatever the path.
/// The service promises none (503 with Retry-After is the only 5xx it means to send), so the alert on this counter
/// fires on the first one.
/// </summary>
static class ServerErrors
{
    /// <summary>Call first, before <c>UseExceptionHandler()</c>, so the status seen is the one the client gets.</summary>
    public static void UseGeminiHooksServerErrorCount(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<GeminiHooksMetrics>();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception)
            {
                // Nothing outside handled it: Kestrel answers 500 (or drops the connection once the answer started).
                metrics.ServerError();
                throw;
            }
            if (context.Response.StatusCode is >= 500 and not 503)
                metrics.ServerError();
        });
    }
}
