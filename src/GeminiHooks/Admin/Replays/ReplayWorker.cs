using GeminiHooks.Dispatch;
using GeminiHooks.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Admin.Replays;

/// <summary>
/// Works bulk replays in the background, a page at a time, in every process: the store leases each replay to one
/// process at a time, and a replay whose process stopped is taken over when its lease expires, from its checkpoint.
/// </summary>
sealed partial class ReplayWorker(IEventStore store, HandlerCatalog catalog, ReplayWakeup wakeup, TimeProvider time,
    ILogger<ReplayWorker> logger) : BackgroundService
{
    /// <summary>Events per page: one transaction each, short enough not to hold up accepts on a single-writer store.</summary>
    public const int PageSize = 200;

    /// <summary>Longer than any page takes, so a live worker never loses its replay to another process.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <summary>How often an idle worker looks for replays other processes started (this process's wake it at once).</summary>
    static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);

    readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await store.RunReplayPageAsync(_owner, Lease, PageSize, HandlersFor, stoppingToken) is not null)
                    continue; // more pages may be waiting
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The page rolled back whole; the next attempt starts from the last committed checkpoint. Caught
                // broadly: a failing replay must never stop the receiver (an unhandled exception here stops the host).
                LogPageFailed(logger, e.Message);
            }
            try
            {
                await wakeup.Signal.WaitAsync(Poll, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>The handlers that take the event now, narrowed to the replay's own list when it named some.</summary>
    IReadOnlyList<string> HandlersFor(string eventType, IReadOnlyList<string>? named)
    {
        var all = catalog.HandlersFor(eventType);
        return named is null ? all : all.Where(h => named.Contains(h, StringComparer.Ordinal)).ToList();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A bulk replay page was not written and will be retried: {Reason}")]
    static partial void LogPageFailed(ILogger logger, string reason);
}
