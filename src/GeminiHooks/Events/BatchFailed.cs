namespace GeminiHooks.Events;

/// <summary><c>batch.failed</c>.</summary>
public sealed record BatchFailed : GeminiEvent
{
    public string? Id { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
}
