using GeminiHooks.Storage;

namespace GeminiHooks.Observability;

/// <summary>One minute of <see cref="RecentTimeline"/>: counts by outcome, and the backlog if it was sampled then.</summary>
sealed record TimelineMinute(
    DateTimeOffset Start,
    IReadOnlyDictionary<string, long> Deliveries,
    IReadOnlyDictionary<string, long> HandlerRuns,
    BacklogCounts? Backlog);
