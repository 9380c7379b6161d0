namespace GeminiHooks.Storage.Kit;

/// <summary>
/// What a search finds one event by, read from its body at accept time (see <see cref="SearchKeys"/>): its job, kept
/// on the event's own row, and its metadata entries, kept as <c>event_keys</c> rows.
/// </summary>
/// <param name="Job"><c>data.id</c> normalised as job matching does; null when the body has none.</param>
/// <param name="Metadata">(<c>meta.&lt;key&gt;</c>, value) pairs of <c>user_metadata</c>.</param>
public sealed record EventKeys(string? Job, IReadOnlyList<KeyValuePair<string, string>> Metadata)
{
    /// <summary>A body with nothing to find it by (not a JSON object, or one without a job or metadata).</summary>
    public static EventKeys None { get; } = new(null, []);
}
