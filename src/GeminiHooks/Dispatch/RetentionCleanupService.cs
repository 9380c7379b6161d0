using GeminiHooks.Binding;
using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Dispatch;

/// <summary>
/// Every <c>Idempotency:CleanupInterval</c>, deletes finished events older than <c>Idempotency:Retention</c>, quarantined
/// ones older than <c>Idempotency:QuarantinedRetention</c> and dead-lettered ones older than
/// <c>Idempotency:DeadRetention</c>: deliveries of foreign jobs and dead letters would otherwise grow the store without
/// bound. Each retention outlives Gemini's 24 h of retries, so a redelivery still finds its id and is answered as a
/// duplicate. Events with a pending handler are kept whatever their age.
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
                await DeleteAsync(EventStatus.Done, idempotency.Retention, stoppingToken);
                await DeleteAsync(EventStatus.Quarantined, idempotency.QuarantinedRetention, stoppingToken);
                await DeleteAsync(EventStatus.Dead, idempotency.DeadRetention, stoppingToken);
                await DeleteExpiredTiesAsync(stoppingToken);
                await Task.Delay(idempotency.CleanupInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    async Task DeleteAsync(string status, TimeSpan retention, CancellationToken stoppingToken)
    {
        try
        {
            var deleted = await store.DeleteExpiredAsync(status, time.GetUtcNow() - retention, stoppingToken);
            if (deleted > 0)
                LogDeleted(logger, deleted, status, retention);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogFailed(logger, status, e.Message);
        }
    }

    // A tie outlives its token by nothing: once the token has expired it is refused anyway.
    async Task DeleteExpiredTiesAsync(CancellationToken stoppingToken)
    {
        if (store is not IBindingNonceStore ties)
            return;
        try
        {
            await ties.DeleteExpiredTiesAsync(time.GetUtcNow(), stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogFailed(logger, "binding token", e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention cleanup deleted {Count} {Status} events older than {Retention}")]
    static partial void LogDeleted(ILogger logger, int count, string status, TimeSpan retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention cleanup of {Status} events failed, next try at the next interval: {Reason}")]
    static partial void LogFailed(ILogger logger, string status, string reason);
}
