namespace GeminiHooks.Storage;

/// <summary>Events kept back from handlers: quarantined (not shown to be the operator's) and dead-lettered.</summary>
public sealed record EventCounts(long Quarantined, long Dead);
