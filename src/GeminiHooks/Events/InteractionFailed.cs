namespace GeminiHooks.Events;

/// <summary><c>interaction.failed</c>.</summary>
public sealed record InteractionFailed : GeminiEvent
{
    public string? Id { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
}
