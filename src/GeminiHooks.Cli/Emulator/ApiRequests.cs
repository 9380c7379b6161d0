using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Events;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Cli.Emulator;

/// <summary>The request readers and small builders every emulator endpoint shares.</summary>
internal static class ApiRequests
{
    /// <summary>The body as a JSON object, or null when it is not one.</summary>
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

    /// <summary>A random resource id (16 hex digits), for webhooks, batches and operations.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
