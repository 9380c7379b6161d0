namespace GeminiHooks.Storage;

public sealed record BacklogCounts(long Pending, long Running, long Succeeded, long Dead);
