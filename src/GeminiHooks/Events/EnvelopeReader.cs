using System.Text.Json;
using System.Text.Unicode;

namespace GeminiHooks.Events;

/// <summary>
/// The only parsing done before the answer: checks that the body is one JSON object whose text is valid Unicode and
/// reads its top-level <c>type</c>, without building a document (the typed event is built later, by the dispatcher).
/// </summary>
static class EnvelopeReader
{
    public const int MaxTypeLength = 200;

    public enum Problem { None, NotJson, NotObject, NoType, NotText }

    public static Problem TryReadType(ReadOnlySpan<byte> body, out string? type) => TryReadType(body, out type, out _);

    /// <summary>
    /// Also finds <c>data.id</c> (a string directly under the top-level <c>data</c> object) in the same pass, as a
    /// position in <paramref name="body"/>: decoding it is left to <see cref="DataId"/>, which only terminal job events
    /// need, so other deliveries pay no allocation for it.
    /// </summary>
    public static Problem TryReadType(ReadOnlySpan<byte> body, out string? type, out DataIdRange dataId)
    {
        type = null;
        dataId = default;
        var inData = false;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        var badType = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return body.IsEmpty ? Problem.NotJson : Problem.NotObject;
            // Every token is visited (no Skip): each string and property name must decode to Unicode text, so that
            // what is stored can later be read, shown and archived by anything that handles text.
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                    break;
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
                    continue;
                if (!IsText(ref reader))
                    return Problem.NotText;
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                    inData = reader.ValueTextEquals("data"u8);
                else if (inData && reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 2 && reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && IsText(ref reader))
                        dataId = reader.ValueIsEscaped
                            ? new DataIdRange(0, 0, reader.GetString())
                            : new DataIdRange((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length, null);
                    else if (reader.TokenType is JsonTokenType.String)
                        return Problem.NotText;
                    continue; // a non-string id is no job id; its nested tokens are still visited by this loop

                }
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        type = null;
                        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                            reader.Skip();
                        continue;
                    }
                    if (!IsText(ref reader))
                        return Problem.NotText;
                    type = reader.GetString();
                    // The type is stored and indexed as text: control characters (NUL above all, which PostgreSQL
                    // text cannot hold) would make the two stores disagree, so they are refused for both.
                    badType = type!.Any(char.IsControl);
                }
            }
            // Trailing content after the object ("{}{}" or "{} x") makes it not one JSON object.
            if (reader.Read())
                return Problem.NotJson;
        }
        catch (JsonException)
        {
            return Problem.NotJson;
        }
        return badType || string.IsNullOrWhiteSpace(type) || type.Length > MaxTypeLength ? Problem.NoType : Problem.None;
    }

    /// <summary>Where <c>data.id</c> is in the body (unescaped) or its decoded text (escaped); empty when absent.</summary>
    public readonly record struct DataIdRange(int Start, int Length, string? Decoded)
    {
        public bool Found => Decoded is not null || Length > 0;
    }

    /// <summary>The text of <c>data.id</c>, or null when the body has none.</summary>
    public static string? DataId(ReadOnlySpan<byte> body, DataIdRange range) =>
        range.Decoded ?? (range.Length > 0 ? System.Text.Encoding.UTF8.GetString(body.Slice(range.Start, range.Length)) : null);

    /// <summary>
    /// True when the current string token decodes to valid Unicode: no invalid UTF-8 bytes and no unpaired surrogate
    /// escape such as <c>"\ud800"</c> (both are well-formed JSON tokens that no .NET string can hold).
    /// </summary>
    static bool IsText(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
            return Utf8.IsValid(reader.ValueSpan);
        try
        {
            reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="json"/> is JSON whose every string is valid Unicode (see <see cref="IsText"/>).</summary>
    public static bool IsUnicodeJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && !IsText(ref reader))
                    return false;
            }
            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
