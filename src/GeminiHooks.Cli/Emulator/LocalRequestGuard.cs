using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// Keeps web pages from driving the emulator, which holds signing keys and fires deliveries on request. Listening on
/// 127.0.0.1 is not enough: a page in the developer's browser can reach loopback. Two checks close it:
/// <list type="bullet">
/// <item>The <c>Host</c> header must name loopback (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>), with the port the
/// emulator listens on if a port is given: a DNS-rebinding page sends its own host name (421; 400 without a Host).</item>
/// <item>A POST must be <c>application/json</c> (or <c>+json</c>): the content types a page may send without a CORS
/// preflight (<c>text/plain</c>, forms, none) are refused with 415, and the emulator answers no preflight, so a page
/// cannot send JSON either.</item>
/// </list>
/// The SDKs, the CLI and <c>curl -H 'content-type: application/json'</c> pass both.
/// </summary>
internal static class LocalRequestGuard
{
    static readonly string[] LoopbackNames = ["localhost", "127.0.0.1", "[::1]"];

    public static void UseLocalRequestGuard(this WebApplication app) => app.Use(async (context, next) =>
    {
        if (Refusal(context.Request, context.Connection.LocalPort) is { } refusal)
        {
            await refusal.ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    static IResult? Refusal(HttpRequest request, int localPort)
    {
        var host = request.Host;
        if (!host.HasValue)
            return GoogleErrors.InvalidArgument("A Host header naming localhost, 127.0.0.1 or [::1] is required.");
        if (!LoopbackNames.Contains(host.Host, StringComparer.OrdinalIgnoreCase) || (host.Port is { } port && port != localPort))
            return GoogleErrors.Error(StatusCodes.Status421MisdirectedRequest, "FAILED_PRECONDITION",
                $"Host '{host.Value}' is not this emulator: use localhost, 127.0.0.1 or [::1] with port {localPort.ToString(CultureInfo.InvariantCulture)}.");
        if (HttpMethods.IsPost(request.Method) && !IsJson(request.ContentType))
            return GoogleErrors.Error(StatusCodes.Status415UnsupportedMediaType, "INVALID_ARGUMENT",
                "POST bodies must be sent as Content-Type: application/json.");
        return null;
    }

    static bool IsJson(string? contentType)
    {
        var mediaType = contentType?.Split(';')[0].Trim();
        return mediaType is not null &&
               (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
                mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
