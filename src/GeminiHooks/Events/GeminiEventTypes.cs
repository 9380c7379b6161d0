using System.Collections.Frozen;

namespace GeminiHooks.Events;

/// <summary>The event catalog: type names and the record each one is read into.</summary>
public static class GeminiEventTypes
{
    public const string BatchSucceeded = "batch.succeeded";

    /// <summary>In the docs' examples but in no SDK enum; read into the same record as <see cref="BatchSucceeded"/>.</summary>
    public const string BatchCompleted = "batch.completed";

    public const string BatchFailed = "batch.failed";

    /// <summary>Removed from the SDKs' enums in April 2026; still read, never offered for subscription.</summary>
    public const string BatchCancelled = "batch.cancelled";
    public const string BatchExpired = "batch.expired";
    public const string InteractionRequiresAction = "interaction.requires_action";
    public const string InteractionCompleted = "interaction.completed";
    public const string InteractionFailed = "interaction.failed";

    /// <summary>Removed from the SDKs' enums in April 2026; still read, never offered for subscription.</summary>
    public const string InteractionCancelled = "interaction.cancelled";
    public const string VideoGenerated = "video.generated";

    /// <summary>
    /// The types a webhook can subscribe to today, as the official SDKs' enums and the API reference list them.
    /// The CLI, the emulator and the docs offer exactly these; the receiver still accepts any type it is sent.
    /// </summary>
    public static IReadOnlyList<string> Subscribable { get; } =
    [
        BatchSucceeded, BatchExpired, BatchFailed,
        InteractionRequiresAction, InteractionCompleted, InteractionFailed,
        VideoGenerated,
    ];

    /// <summary>True for one of the <see cref="Subscribable"/> types (exact, lowercase).</summary>
    public static bool IsSubscribable(string eventType) => Subscribable.Contains(eventType, StringComparer.Ordinal);

    static readonly FrozenDictionary<string, Type> Records = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [BatchSucceeded] = typeof(Events.BatchSucceeded),
        [BatchCompleted] = typeof(Events.BatchSucceeded),
        [BatchFailed] = typeof(Events.BatchFailed),
        [BatchCancelled] = typeof(Events.BatchCancelled),
        [BatchExpired] = typeof(Events.BatchExpired),
        [InteractionRequiresAction] = typeof(Events.InteractionRequiresAction),
        [InteractionCompleted] = typeof(Events.InteractionCompleted),
        [InteractionFailed] = typeof(Events.InteractionFailed),
        [InteractionCancelled] = typeof(Events.InteractionCancelled),
        [VideoGenerated] = typeof(Events.VideoGenerated),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every type name the catalog knows, aliases included.</summary>
    public static IReadOnlyCollection<string> Known => Records.Keys;

    /// <summary>The record an event of this type is read into; <see cref="UnknownEvent"/> for any other type.</summary>
    public static Type RecordFor(string eventType) => Records.GetValueOrDefault(eventType, typeof(UnknownEvent));

    /// <summary>The name a type is known by today (<c>batch.completed</c> → <c>batch.succeeded</c>).</summary>
    public static string Canonical(string eventType) =>
        string.Equals(eventType, BatchCompleted, StringComparison.Ordinal) ? BatchSucceeded : eventType;
}
