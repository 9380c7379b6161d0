namespace GeminiHooks.Admin;

sealed record AdminTrackRequest(string? Name);
