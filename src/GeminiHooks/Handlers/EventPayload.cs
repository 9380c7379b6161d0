using System.Buffers;
using System.Text.Json;
using GeminiHooks.Configuration;
using GeminiHooks.Events;

namespace GeminiHooks.Handlers;

/// <summary>
/// The bytes a forwarding handler sends (<c>http</c> and the broker types), per its <c>Format</c> and <c>Source</c>.
/// The CloudEvents form is written here rather than with the CNCF SDK: structured JSON is a handful of attributes,
/// and writing it directly lets the core library and the broker package produce the same bytes without the core
/// taking a dependency.
/// </summary>
public sealed class EventPayload
{
    public const string EnvelopeName = "envelope";
    public const string CloudEventsName = "cloudevents";
    public const string CloudEventsContentType = "application/cloudevents+json; charset=utf-8";

    /// <summary>The CloudEvents extension attribute that carries the delivery's <c>user_metadata</c> as JSON text.</summary>
    public const string UserMetadataAttribute = "usermetadata";

    readonly string? _source;

    EventPayload(EventFormat format, string? source)
    {
        Format = format;
        _source = source;
    }

    public EventFormat Format { get; }

    public string ContentType => Format == EventFormat.CloudEvents ? CloudEventsContentType : "application/json";

    /// <summary>Adds a line per bad <c>Format</c> or <c>Source</c>.</summary>
    public static void Validate(string key, HandlerOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        if (!TryParse(options.Format, out _))
            failures.Add($"{key}:Format '{options.Format}' is unknown (one of {EnvelopeName}, {CloudEventsName})");
        if (options.Source is { } source && (string.IsNullOrWhiteSpace(source) || !Uri.TryCreate(source, UriKind.RelativeOrAbsolute, out _)))
            failures.Add($"{key}:Source is not a URI reference");
    }

    /// <summary>The payload of validated options.</summary>
    public static EventPayload For(HandlerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!TryParse(options.Format, out var format))
            throw new InvalidOperationException($"Format '{options.Format}' is unknown");
        return new EventPayload(format, string.IsNullOrWhiteSpace(options.Source) ? null : options.Source);
    }

    static bool TryParse(string? value, out EventFormat format)
    {
        format = EventFormat.Envelope;
        if (string.IsNullOrEmpty(value) || value.Equals(EnvelopeName, StringComparison.OrdinalIgnoreCase))
            return true;
        if (!value.Equals(CloudEventsName, StringComparison.OrdinalIgnoreCase))
            return false;
        format = EventFormat.CloudEvents;
        return true;
    }

    /// <summary>The CloudEvents <c>source</c>: the configured one, else one naming this receiver and the endpoint.</summary>
    public string SourceFor(GeminiEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return _source ?? "/geminihooks/" + Uri.EscapeDataString(@event.Delivery.Endpoint);
    }

    public ReadOnlyMemory<byte> Write(GeminiEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return Format == EventFormat.Envelope ? @event.RawBody : WriteCloudEvent(@event);
    }

    byte[] WriteCloudEvent(GeminiEvent @event)
    {
        var buffer = new ArrayBufferWriter<byte>(@event.RawBody.Length + 256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("specversion", "1.0");
            json.WriteString("id", @event.Delivery.WebhookId);
            json.WriteString("source", SourceFor(@event));
            json.WriteString("type", @event.Type);
            if (@event.Timestamp is { } time)
                json.WriteString("time", time.ToUniversalTime());
            json.WriteString("datacontenttype", "application/json");
            // Extension values are strings, numbers or booleans only, so the metadata object travels as JSON text.
            if (@event.UserMetadata is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } metadata)
                json.WriteString(UserMetadataAttribute, metadata.GetRawText());
            if (@event.Data.ValueKind != JsonValueKind.Undefined)
            {
                json.WritePropertyName("data");
                @event.Data.WriteTo(json);
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
