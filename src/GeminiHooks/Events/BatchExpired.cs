namespace GeminiHooks.Events;

/// <summary><c>batch.expired</c>.</summary>
public sealed record BatchExpired : GeminiEvent
{
    public string? Id { get; init; }
}
