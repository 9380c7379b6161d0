using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GeminiHooks.Events;

/// <summary>
/// Builds the typed event from the stored body. Tolerant by design: Gemini adds fields and types over time and
/// its sources disagree on names, so unknown fields are ignored, missing ones are null, and scalars of an
/// unexpected kind (a numeric error code) are read as text rather than failing the event.
/// </summary>
static class GeminiEventReader
{
    /// <summary>
    /// Reads <paramref name="body"/> as an event of <paramref name="eventType"/> (the type ingest stored, which wins
    /// over the body's own <c>type</c>).
    /// </summary>
    /// <exception cref="JsonException">The body is not a JSON object.</exception>
    public static GeminiEvent Read(string eventType, ReadOnlyMemory<byte> body, DeliveryInfo delivery)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        ArgumentNullException.ThrowIfNull(delivery);
        var envelope = JsonSerializer.Deserialize(body.Span, EventJsonContext.Default.EnvelopeDto)
            ?? throw new JsonException("the body is null, not a JSON object");
        var data = envelope.Data is { ValueKind: JsonValueKind.Object } d
            ? JsonSerializer.Deserialize(d, EventJsonContext.Default.EventDataDto) ?? new EventDataDto()
            : new EventDataDto();
        var timestamp = DateTimeOffset.TryParse(envelope.Timestamp, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed) ? parsed : (DateTimeOffset?)null;
        var userMetadata = Present(envelope.UserMetadata) ?? Present(data.UserMetadata);

        GeminiEvent result = GeminiEventTypes.Canonical(eventType) switch
        {
            GeminiEventTypes.BatchSucceeded => new BatchSucceeded
            {
                Type = eventType, Delivery = delivery, Id = data.Id, OutputFileUri = data.OutputFileUri,
            },
            GeminiEventTypes.BatchFailed => new BatchFailed
            {
                Type = eventType, Delivery = delivery, Id = data.Id, ErrorCode = data.ErrorCode, ErrorMessage = data.ErrorMessage,
            },
            GeminiEventTypes.BatchCancelled => new BatchCancelled { Type = eventType, Delivery = delivery, Id = data.Id },
            GeminiEventTypes.BatchExpired => new BatchExpired { Type = eventType, Delivery = delivery, Id = data.Id },
            GeminiEventTypes.InteractionRequiresAction => new InteractionRequiresAction
            {
                Type = eventType, Delivery = delivery, Id = data.Id, RequiredAction = Present(data.RequiredAction),
            },
            GeminiEventTypes.InteractionCompleted => new InteractionCompleted
            {
                Type = eventType, Delivery = delivery, Id = data.Id, Output = Present(data.Output),
            },
            GeminiEventTypes.InteractionFailed => new InteractionFailed
            {
                Type = eventType, Delivery = delivery, Id = data.Id, ErrorCode = data.ErrorCode, ErrorMessage = data.ErrorMessage,
            },
            GeminiEventTypes.InteractionCancelled => new InteractionCancelled { Type = eventType, Delivery = delivery, Id = data.Id },
            GeminiEventTypes.VideoGenerated => new VideoGenerated
            {
                Type = eventType, Delivery = delivery, Id = data.Id ?? data.FileId,
                OutputFileUri = data.OutputFileUri ?? data.VideoUri, VideoUri = data.VideoUri ?? data.OutputFileUri,
                FileName = data.FileName, FileId = data.FileId,
            },
            _ => new UnknownEvent { Type = eventType, Delivery = delivery },
        };
        return result with
        {
            Version = envelope.Version,
            Timestamp = timestamp,
            UserMetadata = userMetadata,
            Data = envelope.Data ?? default,
            RawBody = body,
        };
    }

    static JsonElement? Present(JsonElement? element) =>
        element is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } ? element : null;
}

sealed class EnvelopeDto
{
    [JsonConverter(typeof(LenientStringConverter))] public string? Type { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Version { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Timestamp { get; set; }
    public JsonElement? Data { get; set; }
    public JsonElement? UserMetadata { get; set; }
}

/// <summary>The union of the catalog's <c>data</c> fields; each record takes the ones it has.</summary>
sealed class EventDataDto
{
    [JsonConverter(typeof(LenientStringConverter))] public string? Id { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? FileId { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? OutputFileUri { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? VideoUri { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? FileName { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? ErrorCode { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? ErrorMessage { get; set; }
    public JsonElement? RequiredAction { get; set; }
    public JsonElement? Output { get; set; }
    public JsonElement? UserMetadata { get; set; }
}

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

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(EnvelopeDto))]
[JsonSerializable(typeof(EventDataDto))]
sealed partial class EventJsonContext : JsonSerializerContext;
