using GeminiHooks.Observability;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Admin;

/// <summary>
/// <c>GET /admin/stats/timeseries</c>: the last hour of this replica, minute by minute, for the dashboard's chart.
/// Deliveries and handler attempts are this process's own counts (see <see cref="RecentTimeline"/> for why); the
/// backlog comes from the shared store, sampled now for the current minute.
/// </summary>
static class AdminTimeseriesEndpoint
{
    public static async Task<IResult> GetAsync(GeminiHooksMetrics metrics, IEventStore store, CancellationToken cancellationToken)
    {
        metrics.Timeline.Backlog(await store.CountAsync(cancellationToken));
        var minutes = metrics.Timeline.Snapshot().Select(m => new AdminTimeseriesMinute(
            m.Start,
            m.Deliveries,
            m.HandlerRuns,
            m.Backlog is { } b ? new AdminBacklog(b.Pending, b.Running, b.Succeeded, b.Dead) : null)).ToList();
        return TypedResults.Json(new AdminTimeseries(BucketSeconds: 60, Scope: "replica", Environment.MachineName, minutes),
            AdminJsonContext.Default.AdminTimeseries);
    }
}

/// <summary>
/// The last hour in one-minute buckets, oldest first (the last one is the current, partial minute). <see cref="Scope"/>
/// is "replica": with several replicas each answers with its own deliveries and handler runs.
/// </summary>
sealed record AdminTimeseries(int BucketSeconds, string Scope, string Replica, IReadOnlyList<AdminTimeseriesMinute> Minutes);

/// <summary>
/// One minute: deliveries by outcome (accepted, duplicate, quarantined, rejected, unavailable, rate_limited, aborted),
/// handler attempts by outcome (succeeded, retried, dead_lettered), and the backlog last sampled in it (null: none).
/// </summary>
sealed record AdminTimeseriesMinute(
    DateTimeOffset Start,
    IReadOnlyDictionary<string, long> Deliveries,
    IReadOnlyDictionary<string, long> HandlerRuns,
    AdminBacklog? Backlog);
