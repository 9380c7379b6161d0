using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Dispatch;

/// <summary>
/// Deletes finished events older than <c>Idempotency:Retention</c> every <c>Idempotency:CleanupInterval</c>.
/// Retention outlives Gemini's 24 h of retries, so a redelivery still finds its id and is answered as a duplicate.
/// Events with a pending or dead-lettered handler are kept whatever their age.
/// </summary>
sealed partial class RetentionCleanupService(
    IEventStore store,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    ILogger<RetentionCleanupService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var idempotency = options.CurrentValue.Idempotency;
                try
                {
                    var deleted = await store.DeleteFinishedAsync(time.GetUtcNow() - idempotency.Retention, stoppingToken);
                    if (deleted > 0)
                        LogDeleted(logger, deleted, idempotency.Retention);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogFailed(logger, e.Message);
                }
                await Task.Delay(idempotency.CleanupInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention cleanup deleted {Count} finished events older than {Retention}")]
    static partial void LogDeleted(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention cleanup failed, next try at the next interval: {Reason}")]
    static partial void LogFailed(ILogger logger, string reason);
}
