using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GeminiHooks.Ingest;
using GeminiHooks.Storage;

namespace GeminiHooks.Admin;

/// <summary>
/// Reads the search keys of the operator API (the query of <c>GET /admin/events</c>, the <c>filter</c> of
/// <c>POST /admin/replays</c>) into an <see cref="EventFilter"/>, or names the key that is wrong.
/// </summary>
static partial class EventFilterParser
{
    /// <summary>The longest value a key takes, in UTF-8 bytes: a search term, not a document.</summary>
    public const int MaxValueBytes = 1024;

    public static readonly string[] Keys =
        ["job", "type", "status", "endpoint", "handler", "handler_status", "from", "to", "q", "meta.<key>"];

    static readonly string[] Statuses = [EventStatus.Pending, EventStatus.Done, EventStatus.Dead, EventStatus.Quarantined];
    static readonly string[] Endpoints = [DeliveryEndpoints.Static, DeliveryEndpoints.Dynamic, DeliveryEndpoints.Reconciled];
    static readonly string[] RunStatuses = [RunStatus.Pending, RunStatus.Running, RunStatus.Succeeded, RunStatus.Dead];

    /// <summary>The filter, or the problem (naming its key) in <paramref name="error"/>.</summary>
    public static EventFilter? Parse(IEnumerable<KeyValuePair<string, string>> pairs, out string? error)
    {
        var filter = new EventFilter();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            error = Check(key, value, seen);
            if (error is not null)
                return null;
            if (key.StartsWith("meta.", StringComparison.Ordinal))
            {
                metadata[key["meta.".Length..]] = value;
                continue;
            }
            (filter, error) = key switch
            {
                "job" => (filter with { Job = value }, null),
                "type" when value.EndsWith('*') => (filter with { EventTypePrefix = value[..^1] }, null),
                "type" => (filter with { EventType = value }, null),
                "status" => OneOf(filter with { Status = value }, key, value, Statuses),
                "endpoint" => OneOf(filter with { Endpoint = value }, key, value, Endpoints),
                "handler" => (filter with { Handler = value }, null),
                "handler_status" => OneOf(filter with { HandlerStatus = value }, key, value, RunStatuses),
                "from" => Time(value) is { } from ? (filter with { From = from }, null) : (filter, TimeError(key)),
                "to" => Time(value) is { } to ? (filter with { To = to }, null) : (filter, TimeError(key)),
                "q" => (filter with { Text = value }, null),
                _ => (filter, $"{Name(key)} is not a filter (filters: {string.Join(", ", Keys)})"),
            };
            if (error is not null)
                return null;
        }
        if (filter.From is { } start && filter.To is { } end && start >= end)
        {
            error = "from must be earlier than to";
            return null;
        }
        error = null;
        return filter with { Metadata = metadata };
    }

    static string? Check(string key, string value, HashSet<string> seen)
    {
        if (key == "meta.")
            return "meta. needs a key: meta.<key>=<value>";
        if (!seen.Add(key))
            return $"{Name(key)} is given more than once";
        if (value.Length == 0)
            return $"{Name(key)} must not be empty";
        if (Encoding.UTF8.GetByteCount(value) > MaxValueBytes || key.Length > MaxValueBytes)
            return $"{Name(key)} is longer than {MaxValueBytes} bytes";
        // Stored keys never hold control characters, and PostgreSQL text cannot hold NUL: such a value matches nothing.
        if (value.Any(char.IsControl) || key.Any(char.IsControl))
            return $"{Name(key)} must not contain control characters";
        return null;
    }

    static (EventFilter, string?) OneOf(EventFilter filter, string key, string value, string[] allowed) =>
        allowed.Contains(value, StringComparer.Ordinal) ? (filter, null) : (filter, $"{key} must be one of {string.Join(", ", allowed)}");

    /// <summary>An RFC 3339 time: date, 'T', time, and a zone ('Z' or an offset).</summary>
    static DateTimeOffset? Time(string value) =>
        Rfc3339().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : null;

    static string TimeError(string key) => $"{key} must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z";

    /// <summary>The key as the answer names it: as sent when it is plain text, so a client's odd bytes are not echoed.</summary>
    static string Name(string key) => key.Length <= 64 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
        ? key
        : key.StartsWith("meta.", StringComparison.Ordinal) ? "a meta.<key> filter" : "a filter key";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}
