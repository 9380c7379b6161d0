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
