namespace GeminiHooks.Storage;

public sealed record HandlerRun(
    string Handler,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    DateTimeOffset UpdatedAt);
