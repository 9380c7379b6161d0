namespace GeminiHooks.Admin;

/// <summary>One handler: its settings in effect, its unfinished and dead pairs, the newest error among them.</summary>
sealed record AdminHandler(
    string Name,
    string Type,
    string State,
    DateTimeOffset? PausedAt,
    AdminHandlerRetry Retry,
    int Concurrency,
    AdminCircuitBreaker? CircuitBreaker,
    AdminRateLimit? RateLimit,
    long Pending,
    long Running,
    long Dead,
    string? LastError);
