using System.Globalization;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Hosting;

/// <summary>
/// Any endpoint (the operator API, readiness helpers, a host's own) that meets an unreachable store answers 503 with
/// <c>Retry-After</c> and problem details, as deliveries do, instead of a generic 500. Used by <c>UseExceptionHandler()</c>.
/// </summary>
sealed class StoreUnavailableExceptionHandler(IProblemDetailsService problemDetails, IOptionsMonitor<GeminiHooksOptions> options)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not StoreUnavailableException)
            return false;
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter =
            ((int)Math.Ceiling(options.CurrentValue.Store.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = 503, Title = "Service Unavailable", Detail = "The event store cannot be reached; retry later." },
        });
    }
}
