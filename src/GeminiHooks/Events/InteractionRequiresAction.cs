using System.Text.Json;

namespace GeminiHooks.Events;

/// <summary><c>interaction.requires_action</c>. The guide sends only the <c>id</c>: read the interaction for what it needs.</summary>
public sealed record InteractionRequiresAction : GeminiEvent
{
    /// <summary>The bare interaction id (<c>v1_…</c>).</summary>
    public string? Id { get; init; }

    /// <summary>
    /// <c>data.required_action</c>, named only by a third-party article and absent from the guide's shape: null unless
    /// a delivery carries it; its shape is undocumented, so it stays JSON.
    /// </summary>
    public JsonElement? RequiredAction { get; init; }
}
