using System.Globalization;
using System.Text.Json;

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

