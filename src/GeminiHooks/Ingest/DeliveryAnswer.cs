using System.Globalization;
using GeminiHooks.Http;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Ingest;

/// <summary>The last step: the answer Gemini reads, from the outcome alone.</summary>
static class DeliveryAnswer
{
    static readonly byte[] AcceptedBody = """{"status":"accepted"}"""u8.ToArray();
    static readonly byte[] DuplicateBody = """{"status":"duplicate"}"""u8.ToArray();
    static readonly byte[] QuarantinedBody = """{"status":"quarantined"}"""u8.ToArray();

    /// <param name="retryAfter">Sent with a 503, so Gemini waits before its retry.</param>
    public static async Task WriteAsync(HttpContext context, IngestResult result, TimeSpan retryAfter)
    {
        if (result.Outcome == DeliveryOutcome.Aborted)
            return;
        if (result.Rejection is { } refusal)
        {
            if (refusal.Status == StatusCodes.Status503ServiceUnavailable)
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await ProblemResponse.WriteAsync(context, refusal.Status, refusal.Detail);
            return;
        }
        var body = result.Outcome switch
        {
            DeliveryOutcome.Accepted => AcceptedBody,
            DeliveryOutcome.Quarantined => QuarantinedBody,
            _ => DuplicateBody,
        };
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
