namespace GeminiHooks.Admin;

sealed record AdminHandlerRun(
    string Handler,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    DateTimeOffset UpdatedAt);
