namespace GeminiHooks.Storage;

/// <summary>
/// What the store knows of one handler: whether it is paused (since <see cref="PausedAt"/>), its pairs by unfinished
/// status, and the newest error among its pending and dead-lettered pairs.
/// </summary>
public sealed record HandlerState(string Handler, DateTimeOffset? PausedAt, long Pending, long Running, long Dead, string? LastError)
{
    public bool Paused => PausedAt is not null;
}
