namespace GeminiHooks.Storage;

/// <summary>
/// Which stored events a search or a bulk replay takes; every filter that is set must hold (they combine with AND).
/// <see cref="Job"/> and <see cref="Metadata"/> are answered from keys the store extracts at accept time, so they are
/// index lookups; <see cref="Text"/> scans bodies and is bounded (see the operator API's docs).
/// </summary>
public sealed record EventFilter
{
    /// <summary>pending, done, dead or quarantined.</summary>
    public string? Status { get; init; }

    /// <summary>The exact event type.</summary>
    public string? EventType { get; init; }

    /// <summary>Types that start with this text (<c>type=batch.*</c> is the prefix <c>batch.</c>).</summary>
    public string? EventTypePrefix { get; init; }

    /// <summary>static, dynamic or reconciled.</summary>
    public string? Endpoint { get; init; }

    /// <summary>The job's <c>data.id</c>, full (<c>batches/123</c>) or short (<c>123</c>): both match the same events.</summary>
    public string? Job { get; init; }

    /// <summary>Events with a pair for this handler.</summary>
    public string? Handler { get; init; }

    /// <summary>Events with a pair in this status (pending, running, succeeded, dead), of <see cref="Handler"/> when set.</summary>
    public string? HandlerStatus { get; init; }

    /// <summary>Received at or after.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Received before.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary><c>user_metadata</c> entries the event must carry, each with exactly this value.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Text the body must contain (as UTF-8 bytes, case-sensitive).</summary>
    public string? Text { get; init; }
}
