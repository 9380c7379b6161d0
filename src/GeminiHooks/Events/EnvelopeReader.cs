using System.Text.Json;

namespace GeminiHooks.Events;

/// <summary>
/// The only parsing done before the answer: checks that the body is one JSON object and reads its top-level
/// <c>type</c>, without building a document (the typed event is built later, by the dispatcher).
/// </summary>
static class EnvelopeReader
{
    public const int MaxTypeLength = 200;

    public enum Problem { None, NotJson, NotObject, NoType }

    public static Problem TryReadType(ReadOnlySpan<byte> body, out string? type)
    {
        type = null;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return body.IsEmpty ? Problem.NotJson : Problem.NotObject;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0)
                    break;
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                        type = reader.GetString();
                    continue;
                }
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    reader.Skip();
            }
            // Trailing content after the object ("{}{}" or "{} x") makes it not one JSON object.
            if (reader.Read())
                return Problem.NotJson;
        }
        catch (JsonException)
        {
            return Problem.NotJson;
        }
        return string.IsNullOrWhiteSpace(type) || type.Length > MaxTypeLength ? Problem.NoType : Problem.None;
    }
}
