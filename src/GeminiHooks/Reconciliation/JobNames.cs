using GeminiHooks.Events;

namespace GeminiHooks.Reconciliation;

internal static class JobNames
{
    /// <summary>
    /// The family and normalised id of a job resource name (<c>batches/…</c>, <c>models/…/operations/…</c> or
    /// <c>operations/…</c>, <c>interactions/…</c>) whose ids use the API's id alphabet (<see cref="IsApiId"/>); null for
    /// anything else, so a name the API could not have formed is never tracked and polled.
    /// </summary>
    public static JobKey? Parse(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 512)
            return null;
        var segments = name.Split('/');
        var last = segments[^1];
        return segments switch
        {
            ["batches", var id] when IsApiId(id) => new JobKey(JobFamily.Batch, last),
            ["models", var model, "operations", var id] when IsModelId(model) && IsApiId(id) => new JobKey(JobFamily.Video, last),
            ["operations", var id] when IsApiId(id) => new JobKey(JobFamily.Video, last),
            ["interactions", var id] when IsApiId(id) => new JobKey(JobFamily.Interaction, last),
            [var id] when IsBareInteractionId(id) => new JobKey(JobFamily.Interaction, last),
            _ => null,
        };
    }

    /// <summary>
    /// The path a job is read at: interaction ids are bare (<c>v1_…</c>), as the API shows them, and are read at
    /// <c>interactions/&lt;id&gt;</c>; every other name is its own path.
    /// </summary>
    public static string ResourceName(string name) => IsBareInteractionId(name) ? "interactions/" + name : name;

    static bool IsBareInteractionId(string id) => id.StartsWith("v1_", StringComparison.Ordinal) && IsApiId(id);

    /// <summary>
    /// Whether <paramref name="id"/> is made of the characters the API's resource ids use: ASCII letters, digits, <c>-</c>
    /// and <c>_</c> (batch and operation ids are lowercase letters and digits; interaction ids are <c>v1_</c> and
    /// base64url). An assumption drawn from the ids the API and the SDKs show; no source states the alphabet.
    /// </summary>
    public static bool IsApiId(string id) => id.Length is > 0 and <= 256 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A model id (<c>veo-3.0-generate-001</c>): the id alphabet plus <c>.</c>.</summary>
    static bool IsModelId(string id) => id.Length is > 0 and <= 256 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>What a job name looks like, for error messages.</summary>
    public const string Forms = "batches/<id>, models/<model>/operations/<id>, operations/<id>, an interaction's v1_<id> " +
        "or interactions/<id>, each id made of letters, digits, '-' and '_'";

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
