namespace GeminiHooks.Admin;

/// <summary>(event, handler) pairs by status.</summary>
sealed record AdminBacklog(long Pending, long Running, long Succeeded, long Dead);
