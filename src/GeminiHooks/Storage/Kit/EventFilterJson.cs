using System.Globalization;
using System.Text.Json;

namespace GeminiHooks.Storage.Kit;

/// <summary>
/// An <see cref="EventFilter"/> as the JSON a replay row keeps: the audit record of what was asked, and what a process
/// that resumes the replay after a crash reads back. Written by hand, so the stored shape never follows a rename.
/// </summary>
public static class EventFilterJson
{
    public static string Write(EventFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            void Text(string name, string? value)
            {
                if (value is not null)
                    writer.WriteString(name, value);
            }
            Text("status", filter.Status);
            Text("type", filter.EventType);
            Text("type_prefix", filter.EventTypePrefix);
            Text("endpoint", filter.Endpoint);
            Text("job", filter.Job);
            Text("handler", filter.Handler);
            Text("handler_status", filter.HandlerStatus);
            Text("from", filter.From?.ToString("O", CultureInfo.InvariantCulture));
            Text("to", filter.To?.ToString("O", CultureInfo.InvariantCulture));
            Text("q", filter.Text);
            writer.WriteStartObject("meta");
            foreach (var (key, value) in filter.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                writer.WriteString(key, value);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A list of handler names as a JSON array.</summary>
    public static string WriteNames(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var name in names)
                writer.WriteStringValue(name);
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static IReadOnlyList<string> ReadNames(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    public static EventFilter Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        string? Text(string name) => root.TryGetProperty(name, out var v) ? v.GetString() : null;
        DateTimeOffset? Time(string name) =>
            Text(name) is { } t ? DateTimeOffset.Parse(t, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("meta", out var m))
        {
            foreach (var entry in m.EnumerateObject())
                meta[entry.Name] = entry.Value.GetString()!;
        }
        return new EventFilter
        {
            Status = Text("status"), EventType = Text("type"), EventTypePrefix = Text("type_prefix"), Endpoint = Text("endpoint"),
            Job = Text("job"), Handler = Text("handler"), HandlerStatus = Text("handler_status"), From = Time("from"),
            To = Time("to"), Text = Text("q"), Metadata = meta,
        };
    }
}
