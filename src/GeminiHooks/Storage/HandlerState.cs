namespace GeminiHooks.Storage;

/// <summary>
/// What the store knows of one handler: whether it is paused (since <see cref="PausedAt"/>), its pairs by unfinished
/// status, the newest error among its pending and dead-lettered pairs, and its circuit.
/// </summary>
public sealed record HandlerState(string Handler, DateTimeOffset? PausedAt, long Pending, long Running, long Dead, string? LastError)
{
    public const string Closed = "closed";
    public const string Open = "open";
    public const string HalfOpen = "half_open";

    public bool Paused => PausedAt is not null;

    /// <summary><see cref="Closed"/>, <see cref="Open"/> or <see cref="HalfOpen"/> (a probe run in flight).</summary>
    public string Circuit { get; init; } = Closed;

    /// <summary>Failed runs in a row (counted for handlers with a circuit breaker).</summary>
    public int Failures { get; init; }

    /// <summary>Open: when the break ends; half open: when the probe's lease ends.</summary>
    public DateTimeOffset? CircuitUntil { get; init; }
}
