using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace GeminiHooks.Http;

/// <summary>
/// The one way every error answer is written (deliveries, the operator API, rate limits, 404/405, store outages): an
/// RFC 9457 problem-details object with <c>type</c>, <c>title</c>, <c>status</c> and <c>detail</c>. Written with a
/// <see cref="Utf8JsonWriter"/> rather than the serializer, since probing clients make error answers a hot path too.
/// </summary>
public static class ProblemResponse
{
    /// <summary>
    /// Problem details are JSON for machines, never embedded in HTML, so apostrophes and the like stay readable
    /// (the default encoder writes <c>'</c> as <c>\u0027</c>); quotes, backslashes and control characters are still escaped.
    /// </summary>
    static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes a problem-details answer unless the response has already started.</summary>
    /// <param name="detail">Text chosen by the service; never echo request input here (it may not even be valid UTF-16).</param>
    public static async Task WriteAsync(HttpContext context, int status, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
            return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var body = Serialize(status, detail);
        context.Response.ContentLength = body.Length;
        try { await context.Response.Body.WriteAsync(body, context.RequestAborted); }
        catch (OperationCanceledException) { } // the client went away: nobody to answer
    }

    /// <summary>The same answer as an endpoint result.</summary>
    public static IResult Result(int status, string detail) => new ProblemResult(status, detail);

    internal static byte[] Serialize(int status, string detail)
    {
        using var buffer = new MemoryStream(128 + detail.Length);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "about:blank");
            writer.WriteString("title", ReasonPhrases.GetReasonPhrase(status));
            writer.WriteNumber("status", status);
            writer.WriteString("detail", detail);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    sealed class ProblemResult(int status, string detail) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, status, detail);
    }
}
