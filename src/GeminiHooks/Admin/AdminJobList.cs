namespace GeminiHooks.Admin;

sealed record AdminJobList(IReadOnlyList<AdminTrackedJob> Jobs);
