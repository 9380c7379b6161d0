using System.Globalization;
using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Http;

/// <summary>
/// Any endpoint (the operator API, a host's own) that meets an unreachable store answers 503 with <c>Retry-After</c>
/// and problem details, as deliveries do, instead of a generic 500. Used by <c>UseExceptionHandler()</c>.
/// </summary>
sealed class StoreUnavailableExceptionHandler(IOptionsMonitor<GeminiHooksOptions> options) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not StoreUnavailableException)
            return false;
        httpContext.Response.Headers.RetryAfter =
            ((int)Math.Ceiling(options.CurrentValue.Store.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await ProblemResponse.WriteAsync(httpContext, StatusCodes.Status503ServiceUnavailable,
            "The event store cannot be reached; retry later.");
        return true;
    }
}
