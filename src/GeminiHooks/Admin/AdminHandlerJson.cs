using System.Text.Json.Serialization;

namespace GeminiHooks.Admin;

sealed record AdminHandlerList(IReadOnlyList<AdminHandler> Handlers);

/// <summary>One handler: its settings in effect, its unfinished and dead pairs, the newest error among them.</summary>
sealed record AdminHandler(
    string Name,
    string Type,
    string State,
    DateTimeOffset? PausedAt,
    AdminHandlerRetry Retry,
    int Concurrency,
    AdminCircuitBreaker? CircuitBreaker,
    long Pending,
    long Running,
    long Dead,
    string? LastError);

sealed record AdminHandlerRetry(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay);

/// <summary>A handler's breaker: its settings, failed runs in a row, and while not closed when the break (or probe) ends.</summary>
sealed record AdminCircuitBreaker(int FailureThreshold, TimeSpan BreakDuration, int Failures, DateTimeOffset? Until);

sealed record AdminHandlerStateChange(string Name, string State);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AdminHandlerList))]
[JsonSerializable(typeof(AdminHandlerStateChange))]
sealed partial class AdminHandlerJsonContext : JsonSerializerContext;
