using GeminiHooks.Storage;
using Microsoft.Extensions.Hosting;

namespace GeminiHooks.Observability;

/// <summary>
/// Samples the store's backlog into <see cref="RecentTimeline"/> every 15 s, so the chart on <c>/admin</c> has the
/// backlog of every minute of the hour, not only of the minutes someone had the page open. One count query per
/// replica every 15 s is noise next to the dispatcher's own claims.
/// </summary>
sealed class TimelineSampler(IEventStore store, GeminiHooksMetrics metrics, TimeProvider time) : BackgroundService
{
    static readonly TimeSpan Every = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                metrics.Timeline.Backlog(await store.CountAsync(timeout.Token));
            }
            catch (Exception e) when (e is StoreUnavailableException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                // A minute without a sample is drawn as a gap: the truth when the store did not answer.
            }
            try { await Task.Delay(Every, time, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
