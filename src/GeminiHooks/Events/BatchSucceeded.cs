namespace GeminiHooks.Events;

/// <summary><c>batch.succeeded</c> (older docs: <c>batch.completed</c>).</summary>
public sealed record BatchSucceeded : GeminiEvent
{
    public string? Id { get; init; }
    public string? OutputFileUri { get; init; }
}
