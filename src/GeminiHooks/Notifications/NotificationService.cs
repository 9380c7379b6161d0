using GeminiHooks.Configuration;
using GeminiHooks.Observability;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Notifications;

/// <summary>
/// Sends <c>Notify</c> messages, in every process (the store gives one process the turn per kind and message): each tick
/// it raises the conditions it watches (the oldest pending event past <c>BacklogAge</c>, webhooks the watchdog found
/// disabled), then, per kind due, gathers the unsent occurrences into one message, posts it, and records it sent, or
/// failed with a retry time (1 s, 2 s, 4 s, … up to <c>MinInterval</c>). It runs apart from the dispatcher and only
/// reads what the store already recorded, so a slow or dead notification sink never holds up a handler run.
/// </summary>
internal sealed partial class NotificationService(
    IEventStore store,
    NotificationSender sender,
    WebhookWatchdog watchdog,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    NotificationMetrics metrics,
    ILogger<NotificationService> logger) : BackgroundService
{
    /// <summary>Subjects a message names; the count says how many more there were.</summary>
    const int SampleSize = 5;

    const string BacklogCondition = "oldest_pending";
    static readonly TimeSpan MinTick = TimeSpan.FromMilliseconds(200);
    static readonly TimeSpan MaxTick = TimeSpan.FromSeconds(5);
    static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    /// <summary>Occurrences of kinds nobody notifies are kept this long (turning a kind on reports the last day, not all history).</summary>
    static readonly TimeSpan UnnotifiedRetention = TimeSpan.FromDays(1);

    /// <summary>Unique per instance, as the dispatcher's: a restarted process must not inherit a turn of its previous life.</summary>
    readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not INotificationStore notes)
            return;
        // Leave the host's start-up path before the first store call.
        await Task.Yield();
        var lastPrune = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue.Notify;
            var kinds = settings.Type.Length == 0 ? [] : settings.Events.Count == 0 ? NotificationKinds.All : settings.Events;
            try
            {
                if (kinds.Count > 0)
                    await TickAsync(notes, settings, kinds, stoppingToken);
                if (time.GetUtcNow() - lastPrune >= PruneEvery)
                {
                    await notes.PruneNotificationsAsync(kinds.ToList(), time.GetUtcNow() - UnnotifiedRetention, stoppingToken);
                    lastPrune = time.GetUtcNow();
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The store is away (or refused): the occurrences wait in it, and the next tick tries again.
                LogTickFailed(logger, e.Message);
            }
            try
            {
                await Task.Delay(Tick(settings), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>A tenth of the shortest interval that matters, within 200 ms to 5 s: fine enough for the timing it keeps.</summary>
    static TimeSpan Tick(NotifyOptions settings)
    {
        var shortest = settings.MinInterval < settings.BacklogAge ? settings.MinInterval : settings.BacklogAge;
        var tick = shortest / 10;
        return tick < MinTick ? MinTick : tick > MaxTick ? MaxTick : tick;
    }

    internal async Task TickAsync(INotificationStore notes, NotifyOptions settings, IReadOnlyCollection<string> kinds,
        CancellationToken cancellationToken)
    {
        if (kinds.Contains(NotificationKinds.BacklogAge))
            await notes.SetConditionsAsync(NotificationKinds.BacklogAge, await BacklogConditionAsync(notes, settings, cancellationToken),
                cancellationToken);
        // Only a look that succeeded says which webhooks are disabled now; before the first one, or after a failed one,
        // the conditions stay as they were.
        if (kinds.Contains(NotificationKinds.WebhookDisabled) && watchdog.Snapshot is { CheckedAt: not null, Error: null } look)
            await notes.SetConditionsAsync(NotificationKinds.WebhookDisabled, look.Flags
                .Where(f => f.Kind == "disabled")
                .GroupBy(f => f.Webhook, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => $"{g.Key} ({g.First().Detail})", StringComparer.Ordinal), cancellationToken);
        foreach (var kind in kinds)
            await SendDueAsync(notes, settings, kind, cancellationToken);
    }

    async Task<IReadOnlyDictionary<string, string>> BacklogConditionAsync(INotificationStore notes, NotifyOptions settings,
        CancellationToken cancellationToken)
    {
        var oldest = await notes.OldestPendingAsync(cancellationToken);
        if (oldest is not { } pending || time.GetUtcNow() - pending.ReceivedAt <= settings.BacklogAge)
            return new Dictionary<string, string>();
        var age = time.GetUtcNow() - pending.ReceivedAt;
        return new Dictionary<string, string>
        {
            [BacklogCondition] = $"{pending.WebhookId} pending for {(int)age.TotalMinutes} min {age.Seconds} s",
        };
    }

    async Task SendDueAsync(INotificationStore notes, NotifyOptions settings, string kind, CancellationToken cancellationToken)
    {
        var lease = settings.Timeout + TimeSpan.FromSeconds(30);
        if (await notes.TakeNotificationAsync(kind, _owner, settings.MinInterval, lease, SampleSize, cancellationToken) is not { } batch)
            return;
        try
        {
            await sender.SendAsync(batch, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var retryAt = time.GetUtcNow() + Backoff(batch.Failures, settings.MinInterval);
            metrics.Failed(kind);
            // The reason names a status or a host, never the URL (HandlerHttp's messages): a Slack URL is a credential.
            LogSendFailed(logger, kind, batch.Count, retryAt, e.Message);
            await notes.NotificationFailedAsync(batch, _owner, retryAt, CancellationToken.None);
            return;
        }
        metrics.Sent(kind);
        LogSent(logger, kind, batch.Count);
        await notes.NotificationSentAsync(batch, _owner, CancellationToken.None);
    }

    /// <summary>1 s after the first failure, doubling, never longer than the interval (nor than an hour).</summary>
    internal static TimeSpan Backoff(int failuresBefore, TimeSpan minInterval)
    {
        var cap = minInterval < TimeSpan.FromHours(1) ? minInterval : TimeSpan.FromHours(1);
        var delay = TimeSpan.FromSeconds(Math.Pow(2, Math.Min(failuresBefore, 20)));
        return delay < cap ? delay : cap;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification sent: {Kind}, {Count} occurrences")]
    static partial void LogSent(ILogger logger, string kind, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {Kind} ({Count} occurrences) failed, retry at {RetryAt:o}: {Reason}")]
    static partial void LogSendFailed(ILogger logger, string kind, long count, DateTimeOffset retryAt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notifications could not look at the store, trying again: {Reason}")]
    static partial void LogTickFailed(ILogger logger, string reason);
}
