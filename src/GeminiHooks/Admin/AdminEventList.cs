namespace GeminiHooks.Admin;

sealed record AdminEventList(IReadOnlyList<AdminEvent> Events, string? NextCursor);
