using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Events;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Cli.Emulator;

/// <summary>Small request and answer helpers the emulator's endpoints share.</summary>
internal static class EmulatorHttp
{
    public static async Task<JsonObject?> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static string? ValidUri(JsonNode? node) =>
        Text(node) is { } text && Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? text
            : null;

    /// <summary>The bytes of a thin-payload envelope stamped with the emulator's clock.</summary>
    public static byte[] Envelope(string type, JsonObject data, EmulatorOptions options, JsonObject? userMetadata) =>
        Encoding.UTF8.GetBytes(SampleEvents.Envelope(type, data, options.Time.GetUtcNow(), userMetadata).ToJsonString());

    /// <summary>Google's error shape, so SDKs surface the message.</summary>
    public static IResult Error(int code, string status, string message) =>
        Results.Json(new { error = new { code, message, status } }, statusCode: code);

    /// <summary>
    /// Logs each API call (method and path, so one sees which API version a client uses) and refuses requests without
    /// an API key as Gemini refuses them; with <c>--api-key</c>, only that key passes.
    /// </summary>
    public static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> RequireApiKey(EmulatorOptions options, TextWriter log) =>
        async (context, next) =>
        {
            var request = context.HttpContext.Request;
            await log.WriteLineAsync($"api: {request.Method} {request.Path}");
            var key = request.Headers["x-goog-api-key"].ToString();
            if (key.Length == 0)
                key = request.Query["key"].ToString();
            if (key.Length == 0)
                return Error(401, "UNAUTHENTICATED", "Missing API key: send it in the x-goog-api-key header.");
            if (options.ApiKey is not null && key != options.ApiKey)
                return Error(403, "PERMISSION_DENIED", "API key not valid for this emulator (see its --api-key).");
            return options.Faults.Take(request) ?? await next(context);
        };
}
