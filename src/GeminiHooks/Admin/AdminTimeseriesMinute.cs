namespace GeminiHooks.Admin;

/// <summary>
/// One minute: deliveries by outcome (accepted, duplicate, quarantined, rejected, unavailable, rate_limited, aborted),
/// handler attempts by outcome (succeeded, retried, dead_lettered), and the backlog last sampled in it (null: none).
/// </summary>
sealed record AdminTimeseriesMinute(
    DateTimeOffset Start,
    IReadOnlyDictionary<string, long> Deliveries,
    IReadOnlyDictionary<string, long> HandlerRuns,
    AdminBacklog? Backlog);
