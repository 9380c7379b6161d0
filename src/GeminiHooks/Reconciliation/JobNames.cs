using GeminiHooks.Events;

namespace GeminiHooks.Reconciliation;

/// <summary>The job families whose end Gemini announces, and what a job's id is matched on.</summary>
public static class JobFamily
{
    public const string Batch = "batch";
    public const string Video = "video";
    public const string Interaction = "interaction";
}

internal static class JobNames
{
    /// <summary>
    /// The family and normalised id of a job resource name (<c>batches/…</c>, <c>models/…/operations/…</c> or
    /// <c>operations/…</c>, <c>interactions/…</c>); null for anything else.
    /// </summary>
    public static JobKey? Parse(string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 512 || name.Any(char.IsControl) || name.EndsWith('/'))
            return null;
        var segments = name.Split('/');
        if (segments.Any(string.IsNullOrWhiteSpace))
            return null;
        var last = segments[^1];
        return segments switch
        {
            ["batches", _] => new JobKey(JobFamily.Batch, last),
            ["models", _, "operations", _] or ["operations", _] => new JobKey(JobFamily.Video, last),
            ["interactions", _] => new JobKey(JobFamily.Interaction, last),
            _ => null,
        };
    }

    /// <summary>The family an event type belongs to, or null.</summary>
    public static string? FamilyOf(string eventType) =>
        eventType.StartsWith("batch.", StringComparison.Ordinal) ? JobFamily.Batch :
        eventType.StartsWith("video.", StringComparison.Ordinal) ? JobFamily.Video :
        eventType.StartsWith("interaction.", StringComparison.Ordinal) ? JobFamily.Interaction : null;

    /// <summary>
    /// True for the types that end a job: the first of them wins per job. <c>interaction.requires_action</c> can recur
    /// and is not among them, so it is never deduplicated or synthesized.
    /// </summary>
    public static bool IsTerminal(string eventType) => eventType switch
    {
        GeminiEventTypes.BatchSucceeded or GeminiEventTypes.BatchCompleted or GeminiEventTypes.BatchFailed
            or GeminiEventTypes.BatchCancelled or GeminiEventTypes.BatchExpired
            or GeminiEventTypes.VideoGenerated
            or GeminiEventTypes.InteractionCompleted or GeminiEventTypes.InteractionFailed
            or GeminiEventTypes.InteractionCancelled => true,
        _ => false,
    };

    /// <summary>The normalised id of a delivery's <c>data.id</c>: its last path segment.</summary>
    public static string Normalize(string rawId)
    {
        var trimmed = rawId.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    /// <summary>The outcome a terminal delivery records, or null (non-terminal, unknown type, no usable id).</summary>
    public static JobOutcome? OutcomeOf(string eventType, string? rawId, bool reconciled)
    {
        if (rawId is null || !IsTerminal(eventType) || FamilyOf(eventType) is not { } family)
            return null;
        var id = Normalize(rawId);
        if (id.Length == 0 || id.Length > 512 || id.Any(char.IsControl))
            return null;
        return new JobOutcome(new JobKey(family, id), rawId, GeminiEventTypes.Canonical(eventType), reconciled);
    }
}
