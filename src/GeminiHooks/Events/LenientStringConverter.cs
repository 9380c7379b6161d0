using System.Text.Json;
using System.Text.Json.Serialization;

namespace GeminiHooks.Events;

/// <summary>Reads any JSON value as text: strings as themselves, numbers and booleans as written, objects as raw JSON.</summary>
sealed class LenientStringConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                try
                {
                    return reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    // An unpaired surrogate escape or invalid UTF-8: no .NET string holds it, so the field is shown
                    // as written (escapes kept, invalid bytes as U+FFFD) rather than failing the whole event.
                    return System.Text.Encoding.UTF8.GetString(reader.HasValueSequence
                        ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence)
                        : reader.ValueSpan);
                }
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                using (var document = JsonDocument.ParseValue(ref reader))
                    return document.RootElement.GetRawText();
            default:
                return reader.HasValueSequence
                    ? System.Text.Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence))
                    : System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
        }
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
            writer.WriteNullValue();
        else
            writer.WriteStringValue(value);
    }
}
