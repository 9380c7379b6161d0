using System.Text.Json;
using GeminiHooks.Reconciliation;

namespace GeminiHooks.Storage.Kit;

/// <summary>
/// The keys a search finds an event by without reading bodies, extracted once at accept time: the job
/// (<c>data.id</c> normalised as job matching does, so <c>batches/123</c> and <c>123</c> are one job), stored on the
/// event's row, and <c>meta.&lt;key&gt;</c> (each <c>user_metadata</c> entry, at the body's top level or inside
/// <c>data</c>; the top level wins on a clash), stored in <c>event_keys</c>. Bounded, so a hostile body cannot make an
/// accept write many rows.
/// </summary>
public static class SearchKeys
{
    public const string MetaPrefix = "meta.";

    /// <summary>The most metadata entries kept per event.</summary>
    public const int MaxMetadata = 32;

    /// <summary>The longest metadata key and value (in UTF-16 code units) kept; longer ones are not indexed.</summary>
    public const int MaxKeyLength = 256;
    public const int MaxValueLength = 1024;

    /// <summary>The keys of one body; none when it is not a JSON object.</summary>
    public static EventKeys Extract(ReadOnlyMemory<byte> body)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        string? job = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return EventKeys.None;
            var data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : (JsonElement?)null;
            if (data is { } withId && withId.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                && Job(id.GetString()!) is { } normalised)
                job = normalised;
            AddMetadata(keys, root);
            if (data is { } inner)
                AddMetadata(keys, inner);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON (a quarantined body, say), or a string that is no text (an unpaired surrogate escape, which
            // System.Text.Json reports as InvalidOperationException): it has no keys, and is still stored.
            return EventKeys.None;
        }
        return job is null && keys.Count == 0 ? EventKeys.None : new EventKeys(job, [.. keys]);
    }

    /// <summary>The stored form of a job id as delivered or as an operator types it; null when it cannot be one.</summary>
    public static string? Job(string rawId)
    {
        var id = JobNames.Normalize(rawId);
        return id.Length > 0 && Storable(id, 512) ? id : null;
    }

    static void AddMetadata(Dictionary<string, string> keys, JsonElement holder)
    {
        if (!holder.TryGetProperty("user_metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object)
            return;
        foreach (var entry in metadata.EnumerateObject())
        {
            if (keys.Count >= MaxMetadata)
                return;
            var value = entry.Value.ValueKind switch
            {
                JsonValueKind.String => entry.Value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => entry.Value.GetRawText(),
                _ => null,
            };
            // A binding token is never indexed: the operator API redacts it from bodies, and a searchable copy would
            // hand it back (whatever metadata key carries it, it starts with the token prefix).
            if (value is not null && entry.Name.Length > 0 && Storable(entry.Name, MaxKeyLength) && Storable(value, MaxValueLength)
                && !value.StartsWith(Binding.BindingToken.Prefix + ".", StringComparison.Ordinal))
                keys.TryAdd(MetaPrefix + entry.Name, value);
        }
    }

    // Text columns cannot hold NUL (PostgreSQL) and both databases refuse lone surrogates: such a key is not indexed
    // rather than stored altered, so a search never matches a value the body does not hold.
    static bool Storable(string value, int maxLength) =>
        value.Length <= maxLength && ReferenceEquals(StoredText.Representable(value), value);
}
