using System.Buffers;
using System.Text.Json;
using GeminiHooks.Configuration;

namespace GeminiHooks.Binding;

/// <summary>
/// Removes the binding token (<c>user_metadata.&lt;MetadataKey&gt;</c>, at the top level or inside <c>data</c>) from a
/// body as it is read out of the store for handlers (typed events, raw payloads, archives, forwards) and the operator
/// API. The store keeps the exact verified bytes; a token that leaked into a forward or an archive could be replayed
/// into a new job's <c>user_metadata</c> by whoever reads it. Every endpoint's bodies are redacted: a job whose config
/// carries only <c>user_metadata</c> sends its token through the registered (static) webhooks.
/// </summary>
static class BindingTokenRedaction
{
    static readonly byte[] UserMetadata = "user_metadata"u8.ToArray();

    /// <summary><paramref name="body"/> without the token, or the same memory when it holds none (or redaction is off).</summary>
    public static ReadOnlyMemory<byte> Redact(ReadOnlyMemory<byte> body, DynamicBindingOptions binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        if (binding.KeepTokenInPayloads || string.IsNullOrEmpty(binding.MetadataKey))
            return body;
        List<Rewrite> rewrites;
        try { rewrites = Find(body.Span, binding.MetadataKey); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or a name that is not valid text: no handler can read it as an event either.
            return body;
        }
        if (rewrites.Count == 0)
            return body;
        var output = new ArrayBufferWriter<byte>(body.Length);
        var position = 0;
        foreach (var rewrite in rewrites)
        {
            output.Write(body.Span[position..rewrite.Start]);
            output.Write(rewrite.Replacement);
            position = rewrite.End;
        }
        output.Write(body.Span[position..]);
        return output.WrittenMemory;
    }

    /// <summary>A <c>user_metadata</c> object, bytes [Start, End), to be replaced by the same object without the token.</summary>
    readonly record struct Rewrite(int Start, int End, byte[] Replacement);

    static List<Rewrite> Find(ReadOnlySpan<byte> body, string metadataKey)
    {
        var rewrites = new List<Rewrite>();
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return rewrites;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMetadata = reader.ValueTextEquals(UserMetadata);
            var isData = !isMetadata && reader.ValueTextEquals("data"u8);
            reader.Read();
            if (isMetadata && reader.TokenType == JsonTokenType.StartObject)
                Scan(ref reader, body, metadataKey, rewrites);
            else if (isData && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var nested = reader.ValueTextEquals(UserMetadata);
                    reader.Read();
                    if (nested && reader.TokenType == JsonTokenType.StartObject)
                        Scan(ref reader, body, metadataKey, rewrites);
                    else
                        reader.Skip();
                }
            }
            else
                reader.Skip();
        }
        return rewrites;
    }

    /// <summary>
    /// Reads one metadata object (the reader on its start) and, when it holds the key (once or repeated), records it
    /// rewritten as its other members joined by commas: cutting whole members keeps every other byte as it was.
    /// </summary>
    static void Scan(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, string metadataKey, List<Rewrite> rewrites)
    {
        var start = (int)reader.TokenStartIndex;
        var kept = new List<(int Start, int End)>();
        var removed = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var memberStart = (int)reader.TokenStartIndex;
            var isToken = reader.ValueTextEquals(metadataKey);
            reader.Read();
            reader.Skip();
            if (isToken)
                removed = true;
            else
                kept.Add((memberStart, (int)reader.BytesConsumed));
        }
        var end = (int)reader.BytesConsumed;
        if (!removed)
            return;
        var replacement = new ArrayBufferWriter<byte>(end - start);
        replacement.Write("{"u8);
        for (var i = 0; i < kept.Count; i++)
        {
            if (i > 0)
                replacement.Write(","u8);
            replacement.Write(body[kept[i].Start..kept[i].End]);
        }
        replacement.Write("}"u8);
        rewrites.Add(new Rewrite(start, end, replacement.WrittenSpan.ToArray()));
    }
}
