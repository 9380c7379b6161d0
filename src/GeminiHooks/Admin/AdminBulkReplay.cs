namespace GeminiHooks.Admin;

/// <summary>A bulk replay: the dry run's count alone, a started one's id, or its progress with its audit record.</summary>
sealed record AdminBulkReplay(string? Id, long Matched, long? Enqueued = null, string? Status = null, string? RequestedBy = null,
    DateTimeOffset? CreatedAt = null);
