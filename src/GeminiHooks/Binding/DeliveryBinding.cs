using System.Text.Json;
using GeminiHooks.Configuration;
using GeminiHooks.Verification;

namespace GeminiHooks.Binding;

/// <summary>
/// Checks the binding token of a verified dynamic delivery: <c>user_metadata.&lt;MetadataKey&gt;</c>, where the event
/// reader finds <c>user_metadata</c> (the top level, else inside <c>data</c>).
/// </summary>
static class DeliveryBinding
{
    /// <summary>Null when the delivery carries a valid token; otherwise the metrics reason of the failure.</summary>
    /// <param name="token">The token found (valid or not), or null.</param>
    public static string? Check(DynamicBindingOptions options, ReadOnlySpan<byte> body, DateTimeOffset now, out string? token)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = new List<byte[]>(options.Keys.Count);
        foreach (var key in options.Keys)
            keys.Add(StandardWebhooks.DecodeSecret(key)); // validated at start and on reload
        token = ReadToken(body, options.MetadataKey, out var notText);
        return BindingToken.Check(token, keys, now) switch
        {
            BindingTokenState.Valid => null,
            BindingTokenState.Missing when !notText => "binding_missing",
            BindingTokenState.Expired => "binding_expired",
            _ => "binding_invalid",
        };
    }

    static string? ReadToken(ReadOnlySpan<byte> body, string metadataKey, out bool notText)
    {
        notText = false;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return null;
            var metadata = Metadata(root) ?? (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? Metadata(data) : null);
            if (metadata is not { } found || !found.TryGetProperty(metadataKey, out var token))
                return null;
            if (token.ValueKind == JsonValueKind.String)
                return token.GetString();
            notText = true;
            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Unreadable text (an unpaired surrogate escape) is no token.
            notText = true;
            return null;
        }
    }

    static JsonElement? Metadata(JsonElement parent) =>
        parent.TryGetProperty("user_metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object ? metadata : null;
}
