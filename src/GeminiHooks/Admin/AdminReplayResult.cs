namespace GeminiHooks.Admin;

sealed record AdminReplayResult(int Queued, IReadOnlyList<string>? Handlers);
