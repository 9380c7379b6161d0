using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Gemini;

namespace GeminiHooks.Artifacts;

/// <summary>
/// What to fetch for an artifact, asked of the Gemini API: a batch's output (<c>GET batches/{id}</c> →
/// <c>metadata.output.responsesFile</c>, or <c>inlinedResponses</c>) and a file's metadata (<c>GET files/{id}</c>).
/// </summary>
internal sealed class ArtifactSource(GeminiApiClient api)
{
    /// <summary>The marker <see cref="ArtifactRecord.File"/> holds for a batch whose responses came inline.</summary>
    public const string Inline = "inline";

    /// <summary>The batch's output: a file name (<c>files/…</c>), or inline responses; null with an error, or expired on 404.</summary>
    public async Task<(string? File, JsonArray? Inline, bool Expired, string? Error)> ResolveBatchAsync(string jobId, CancellationToken cancellationToken)
    {
        var answer = await api.GetAsync("batches/" + jobId, cancellationToken);
        if (GeminiApiClient.IsNotFound(answer))
            return (null, null, true, "the batch is gone at the source (HTTP 404)");
        if (!answer.Ok)
            return (null, null, false, "reading the batch: " + GeminiApiClient.Describe(answer));
        var output = answer.Body?["metadata"]?["output"] ?? answer.Body?["response"] ?? answer.Body?["output"];
        if (output?["responsesFile"] is JsonValue file && file.TryGetValue<string>(out var name) && name.Length > 0)
            return (name, null, false, null);
        // REST nests the list (inlinedResponses.inlinedResponses); accept a flat list too.
        var inline = output?["inlinedResponses"];
        if (inline?["inlinedResponses"] is JsonArray nested)
            return (null, nested, false, null);
        if (inline is JsonArray flat)
            return (null, flat, false, null);
        return (null, null, false, "the batch names no responsesFile and no inlinedResponses (not succeeded yet?)");
    }

    /// <summary>The file's metadata; expired on 404.</summary>
    public async Task<(SourceFile? File, bool Expired, string? Error)> DescribeAsync(string fileName, CancellationToken cancellationToken)
    {
        var answer = await api.GetAsync(fileName, cancellationToken);
        if (GeminiApiClient.IsNotFound(answer))
            return (null, true, "the file is gone at the source (HTTP 404)");
        if (!answer.Ok || answer.Body is not { } body)
            return (null, false, "reading the file: " + GeminiApiClient.Describe(answer));
        long? size = body["sizeBytes"] is JsonValue s && (s.TryGetValue<long>(out var n) ||
            (s.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n))) ? n : null;
        DateTimeOffset? expires = body["expirationTime"] is JsonValue e && e.TryGetValue<string>(out var at) &&
            DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : null;
        var sha = body["sha256Hash"] is JsonValue h && h.TryGetValue<string>(out var hash) ? HashToHex(hash) : null;
        return (new SourceFile(fileName, size, sha, expires), false, null);
    }

    /// <summary>
    /// <c>sha256Hash</c> is documented as base64-encoded bytes; a 64-character hex string is taken as hex. Null for
    /// anything else (then only the size is checked).
    /// </summary>
    internal static string? HashToHex(string value)
    {
        if (value.Length == 64 && value.All(char.IsAsciiHexDigit))
            return value.ToLowerInvariant();
        var bytes = new byte[48];
        return Convert.TryFromBase64String(value, bytes, out var written) && written == 32
            ? Convert.ToHexStringLower(bytes.AsSpan(0, 32))
            : null;
    }

    /// <summary>
    /// Writes inline responses as the responses file would hold them: one JSON object per line with <c>key</c>
    /// (the request's <c>metadata.key</c>, else its 1-based position) and <c>response</c> or <c>error</c>.
    /// </summary>
    public static async Task WriteInlineAsync(JsonArray responses, Stream output, CancellationToken cancellationToken)
    {
        var position = 0;
        foreach (var item in responses)
        {
            position++;
            var line = new JsonObject
            {
                ["key"] = (item?["metadata"]?["key"] ?? item?["key"])?.DeepClone() ?? position.ToString(CultureInfo.InvariantCulture),
            };
            if (item?["error"] is { } error)
                line["error"] = error.DeepClone();
            else
                line["response"] = item?["response"]?.DeepClone();
            await using (var writer = new Utf8JsonWriter(output))
                line.WriteTo(writer);
            output.WriteByte((byte)'\n');
        }
        await output.FlushAsync(cancellationToken);
    }
}
