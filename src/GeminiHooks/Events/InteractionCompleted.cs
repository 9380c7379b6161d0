using System.Text.Json;

namespace GeminiHooks.Events;

/// <summary><c>interaction.completed</c>. The guide sends only the <c>id</c>: read the interaction for its outputs.</summary>
public sealed record InteractionCompleted : GeminiEvent
{
    /// <summary>The bare interaction id (<c>v1_…</c>).</summary>
    public string? Id { get; init; }

    /// <summary>
    /// <c>data.output</c>, named only by a third-party article and absent from the guide's shape: null unless a delivery
    /// carries it. Kept so such a delivery loses nothing.
    /// </summary>
    public JsonElement? Output { get; init; }
}
