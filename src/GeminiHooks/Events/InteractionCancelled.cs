namespace GeminiHooks.Events;

/// <summary><c>interaction.cancelled</c>: removed from the SDKs' enums in April 2026, so no longer subscribable; still read when sent.</summary>
public sealed record InteractionCancelled : GeminiEvent
{
    public string? Id { get; init; }
}
