namespace GeminiHooks.Storage;

/// <summary>A page query: <see cref="Cursor"/> is the <c>NextCursor</c> of the previous page.</summary>
public sealed record EventQuery(string? Status = null, string? EventType = null, int Limit = 50, string? Cursor = null)
{
    /// <summary>The search filters; <see cref="Status"/> and <see cref="EventType"/>, when set, take precedence over its own.</summary>
    public EventFilter? Filter { get; init; }
}
