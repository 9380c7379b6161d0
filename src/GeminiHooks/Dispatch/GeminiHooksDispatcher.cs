using System.Text.Json;
using GeminiHooks.Events;
using GeminiHooks.Configuration;
using GeminiHooks.Observability;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Dispatch;

/// <summary>
/// Claims due (event, handler) pairs under a lease and runs them, at most <c>Dispatch:Concurrency</c> at a time.
/// The store's lease is what keeps two dispatchers (threads or replicas) off one pair; a pair whose dispatcher died
/// is claimed again once its lease expires. Each pair is its own row, so a retry re-runs only the handler that failed.
/// </summary>
sealed partial class GeminiHooksDispatcher(
    IEventStore store,
    HandlerCatalog catalog,
    IServiceScopeFactory scopes,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    GeminiHooksMetrics metrics,
    ILogger<GeminiHooksDispatcher> logger) : BackgroundService
{
    const int MaxErrorLength = 2000;
    static readonly TimeSpan MaxStoreBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Unique per instance: a restarted process must not inherit the claims of its previous life.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.Dispatch.Enabled)
        {
            LogDisabled(logger);
            return;
        }
        // Leave the host's start-up path before the first store call.
        await Task.Yield();
        LogStarted(logger, Owner);
        var running = new List<Task>();
        var storeFailures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                running.RemoveAll(t => t.IsCompleted);
                var dispatch = options.CurrentValue.Dispatch;
                var free = Math.Max(1, dispatch.Concurrency) - running.Count;
                if (free <= 0)
                {
                    await Task.WhenAny(running).WaitAsync(stoppingToken);
                    continue;
                }
                IReadOnlyList<DispatchItem> items;
                try
                {
                    items = await store.ClaimAsync(Owner, free, dispatch.Lease, stoppingToken);
                    storeFailures = 0;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // The store (or its start-up) is not there yet: back off and try again, never take the host down.
                    var backoff = TimeSpan.FromTicks(Math.Min(MaxStoreBackoff.Ticks,
                        TimeSpan.FromSeconds(1).Ticks << Math.Min(storeFailures++, 5)));
                    LogClaimFailed(logger, backoff, e.Message);
                    await Task.Delay(backoff, time, stoppingToken);
                    continue;
                }
                foreach (var item in items)
                    running.Add(Task.Run(() => RunAsync(item, stoppingToken), CancellationToken.None));
                if (items.Count < free)
                {
                    try
                    {
                        await store.WaitForWorkAsync(dispatch.PollInterval, stoppingToken);
                    }
                    catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                    {
                        // A store that listens for work remotely (PostgreSQL) can lose its connection: poll instead.
                        LogWaitFailed(logger, e.Message);
                        await Task.Delay(dispatch.PollInterval, time, stoppingToken);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Handlers see the same token; wait for them to record their outcome before the store goes away.
        await Task.WhenAll(running);
    }

    /// <summary>Runs one claimed pair and records the outcome. Never throws.</summary>
    internal async Task RunAsync(DispatchItem item, CancellationToken stoppingToken)
    {
        using var activity = metrics.StartHandlerRun(item);
        try
        {
            var handler = catalog.Find(item.Handler);
            if (handler is null)
            {
                LogHandlerMissing(logger, item.Handler, item.EventType, item.WebhookId);
                await RecordAsync(item, $"handler '{item.Handler}' is not registered or configured any more", retryAt: null);
                return;
            }
            GeminiEvent e;
            try
            {
                e = GeminiEventReader.Read(item.EventType, item.Body, new DeliveryInfo(item.Endpoint, item.WebhookId,
                    DateTimeOffset.FromUnixTimeSeconds(item.Timestamp), item.ReceivedAt, item.Attempt, item.Handler));
            }
            catch (JsonException ex)
            {
                // The body will not change, so retrying cannot help.
                await RecordAsync(item, "the stored body cannot be read as an event: " + ex.Message, retryAt: null);
                return;
            }
            if (!handler.CanHandle(e))
            {
                await RecordAsync(item, $"handler '{item.Handler}' does not take {e.GetType().Name} events", retryAt: null);
                return;
            }
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await handler.InvokeAsync(scope.ServiceProvider, e, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutdown, not a handler fault: hand the pair back as due now so another dispatcher (or the next
                // start) picks it up without waiting for the lease.
                await RecordAsync(item, "interrupted by shutdown", time.GetUtcNow());
                return;
            }
            catch (Exception ex)
            {
                var error = Describe(ex);
                var maxAttempts = options.CurrentValue.Dispatch.MaxAttempts;
                if (item.Attempt >= maxAttempts)
                {
                    LogDeadLettered(logger, item.Handler, item.EventType, item.WebhookId, item.Attempt, error);
                    await RecordAsync(item, error, retryAt: null);
                }
                else
                {
                    var dispatch = options.CurrentValue.Dispatch;
                    var retryAt = time.GetUtcNow() + RetryPolicy.Delay(item.Attempt, dispatch.RetryBaseDelay,
                        dispatch.RetryMaxDelay, Random.Shared.NextDouble());
                    LogRetry(logger, item.Handler, item.EventType, item.WebhookId, item.Attempt, retryAt, error);
                    await RecordAsync(item, error, retryAt);
                }
                return;
            }
            metrics.HandlerSucceeded(item);
            if (!await store.CompleteAsync(item, CancellationToken.None))
                LogClaimLost(logger, item.Handler, item.WebhookId);
        }
        catch (Exception e)
        {
            // Most likely the store failed while recording: the lease expires and the pair runs again (at least once).
            LogRecordFailed(logger, item.Handler, item.WebhookId, e.Message);
        }
    }

    async Task RecordAsync(DispatchItem item, string error, DateTimeOffset? retryAt)
    {
        metrics.HandlerFailed(item, retryAt, error);
        // Recording must survive shutdown: it is what keeps a finished run from running again.
        if (!await store.FailAsync(item, error, retryAt, CancellationToken.None))
            LogClaimLost(logger, item.Handler, item.WebhookId);
    }

    static string Describe(Exception e)
    {
        var text = $"{e.GetType().Name}: {e.Message}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dispatch is disabled (GeminiHooks:Dispatch:Enabled=false)")]
    static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dispatcher {Owner} started")]
    static partial void LogStarted(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming work failed, retrying in {Backoff}: {Reason}")]
    static partial void LogClaimFailed(ILogger logger, TimeSpan backoff, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for new work failed, polling instead: {Reason}")]
    static partial void LogWaitFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handler {Handler} failed on {EventType} {WebhookId} (attempt {Attempt}), retry at {RetryAt:o}: {Error}")]
    static partial void LogRetry(ILogger logger, string handler, string eventType, string webhookId, int attempt, DateTimeOffset retryAt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler {Handler} failed on {EventType} {WebhookId} (attempt {Attempt}), dead-lettered: {Error}")]
    static partial void LogDeadLettered(ILogger logger, string handler, string eventType, string webhookId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler {Handler} of {EventType} {WebhookId} is not registered or configured any more; dead-lettered")]
    static partial void LogHandlerMissing(ILogger logger, string handler, string eventType, string webhookId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claim of {Handler} on {WebhookId} was lost (lease expired and taken over); outcome not recorded")]
    static partial void LogClaimLost(ILogger logger, string handler, string webhookId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording the outcome of {Handler} on {WebhookId} failed; it runs again after the lease: {Reason}")]
    static partial void LogRecordFailed(ILogger logger, string handler, string webhookId, string reason);
}
