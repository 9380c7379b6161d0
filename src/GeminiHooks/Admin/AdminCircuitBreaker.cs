namespace GeminiHooks.Admin;

/// <summary>A handler's breaker: its settings, failed runs in a row, and while not closed when the break (or probe) ends.</summary>
sealed record AdminCircuitBreaker(int FailureThreshold, TimeSpan BreakDuration, int Failures, DateTimeOffset? Until);
