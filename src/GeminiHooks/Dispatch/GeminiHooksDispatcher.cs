using System.Text.Json;
using GeminiHooks.Configuration;
using GeminiHooks.Events;
using GeminiHooks.Handlers;
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
/// With nothing due it sleeps until the earliest pair falls due, a new accept or replay, or a retry it schedules itself,
/// whichever comes first; <c>Dispatch:PollInterval</c> only bounds that sleep (for work other replicas schedule).
/// </summary>
sealed partial class GeminiHooksDispatcher(
    IEventStore store,
    HandlerCatalog catalog,
    IServiceScopeFactory scopes,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    GeminiHooksMetrics metrics,
    HandlerFlowMetrics flowMetrics,
    ILogger<GeminiHooksDispatcher> logger) : BackgroundService
{
    const int MaxErrorLength = 2000;
    static readonly TimeSpan MaxStoreBackoff = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The store keeps due times in milliseconds and a timer may fire a little early: waking a millisecond past the
    /// due time finds the pair due, instead of a claim that finds nothing and a spin of sub-millisecond waits.
    /// </summary>
    static readonly TimeSpan DueSlack = TimeSpan.FromMilliseconds(1);

    /// <summary>Set when this dispatcher records a retry: an idle loop may be sleeping past the new due time.</summary>
    readonly WorkSignal _retryScheduled = new();

    /// <summary>The rate-limited handlers' token buckets (per process).</summary>
    readonly HandlerRateLimiter _rates = new(time);

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
        // Handler runs in flight (each yields the recording of its outcome) with their handler's name, outcomes being
        // recorded, and pairs claimed but not started yet, with the time their lease ends.
        var running = new List<(Task<Task> Run, string Handler)>();
        var recording = new List<Task>();
        var claimed = new List<(DispatchItem Item, DateTimeOffset LeaseEnds)>();
        var storeFailures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Prune(running, recording);
                var dispatch = options.CurrentValue.Dispatch;
                var concurrency = Math.Max(1, dispatch.Concurrency);
                var started = StartClaimed(claimed, running, concurrency, stoppingToken);
                if (running.Count >= concurrency)
                {
                    await Task.WhenAny(running.Select(r => r.Run)).WaitAsync(stoppingToken);
                    continue;
                }

                // Free slots: one claim takes a batch, so claiming costs one store write per batch rather than one per
                // pair; the batch then runs Concurrency at a time. Handlers already at their own Concurrency (with
                // what is running and what waits here) are left out of the claim, so a slow handler's backlog neither
                // piles up here under lease nor keeps the other handlers' pairs from being claimed.
                // Rate-limited handlers are left out too: their pairs are claimed apart, no more than their buckets hold,
                // so none waits here for a token under a lease it could outlive (a claim spends an attempt).
                var want = Math.Max(Math.Max(1, dispatch.BatchSize), concurrency - running.Count);
                var limited = catalog.All.Where(h => h.Flow.RateLimited).ToArray();
                var skip = Saturated(running, claimed).Union(limited.Select(h => h.Name), StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal).ToArray();
                IReadOnlyList<DispatchItem> items;
                IReadOnlyList<DispatchItem> paced;
                try
                {
                    items = await store.ClaimAsync(Owner, want, dispatch.Lease, skip, stoppingToken);
                    paced = await ClaimWithinRatesAsync(limited, running, claimed, dispatch, stoppingToken);
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
                var leaseEnds = time.GetUtcNow() + dispatch.Lease;
                foreach (var item in items.Concat(paced))
                    claimed.Add((item, leaseEnds));
                if (items.Count < want)
                {
                    // Everything due is claimed: start it, then sleep until more falls due, or, while pairs wait for
                    // their handler's turn (here, or in the store because the claim skipped their handler), until a
                    // run ends.
                    started += StartClaimed(claimed, running, concurrency, stoppingToken);
                    var waiting = claimed.Count > 0 || skip.Length > 0;
                    var untilToken = _rates.UntilNextToken(limited);
                    if (!waiting)
                        await IdleAsync(dispatch, null, untilToken, stoppingToken);
                    else if (items.Count == 0 && paced.Count == 0 && started == 0)
                        await IdleAsync(dispatch, running.Count > 0 ? Task.WhenAny(running.Select(r => r.Run)) : null, untilToken, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Claimed pairs never started are handed back due now, as an interrupted run is, so the next start or another
        // replica takes them without waiting for the lease. Handlers see the same token; wait for them and for every
        // outcome to be recorded before the store goes away.
        foreach (var (item, _) in claimed)
            recording.Add(HandBackAsync(item));
        foreach (var run in await Task.WhenAll(running.Select(r => r.Run)))
            recording.Add(run);
        await Task.WhenAll(recording);
    }

    /// <summary>
    /// Starts claimed pairs in claim order while there are free slots, passing over those whose handler is at its own
    /// Concurrency (they keep their place). A pair whose lease ran out while it waited here may be another
    /// dispatcher's by now: it is left to it. Returns how many started.
    /// </summary>
    int StartClaimed(List<(DispatchItem Item, DateTimeOffset LeaseEnds)> claimed, List<(Task<Task> Run, string Handler)> running,
        int concurrency, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        var started = 0;
        for (var i = 0; i < claimed.Count && running.Count < concurrency;)
        {
            var (item, leaseEnds) = claimed[i];
            if (leaseEnds <= now)
            {
                claimed.RemoveAt(i);
                continue;
            }
            var handler = catalog.Find(item.Handler);
            var limit = handler?.Flow.Concurrency ?? concurrency;
            // A paced pair was claimed against a token its bucket held; only a reload that lowered the rate since can
            // make it wait here.
            if (running.Count(r => r.Handler == item.Handler) >= limit || (handler is not null && !_rates.TryTake(handler)))
            {
                i++;
                continue;
            }
            claimed.RemoveAt(i);
            running.Add((Task.Run(() => RunAsync(item, stoppingToken), CancellationToken.None), item.Handler));
            started++;
        }
        return started;
    }

    /// <summary>The handlers whose runs in flight and pairs waiting here already fill their own Concurrency.</summary>
    string[] Saturated(List<(Task<Task> Run, string Handler)> running, List<(DispatchItem Item, DateTimeOffset LeaseEnds)> claimed) =>
        running.Select(r => r.Handler).Concat(claimed.Select(c => c.Item.Handler))
            .GroupBy(h => h, StringComparer.Ordinal)
            .Where(g => catalog.Find(g.Key) is { } handler && g.Count() >= handler.Flow.Concurrency)
            .Select(g => g.Key)
            .Order(StringComparer.Ordinal)
            .ToArray();

    static void Prune(List<(Task<Task> Run, string Handler)> running, List<Task> recording)
    {
        recording.RemoveAll(t => t.IsCompleted);
        for (var i = running.Count - 1; i >= 0; i--)
        {
            if (!running[i].Run.IsCompleted)
                continue;
#pragma warning disable VSTHRD002 // completed: Result does not block
            recording.Add(running[i].Run.Result);
#pragma warning restore VSTHRD002
            running.RemoveAt(i);
        }
    }

    /// <summary>
    /// Nothing more is due now: sleep until the earliest pair falls due (bounded by PollInterval), or until the store
    /// signals new work (an accept or replay) or this dispatcher schedules a retry, or <paramref name="runEnded"/> completes,
    /// or a rate-limited handler's empty bucket has a token again (<paramref name="untilToken"/>).
    /// </summary>
    async Task IdleAsync(DispatchOptions dispatch, Task? runEnded, TimeSpan? untilToken, CancellationToken stoppingToken)
    {
        var wait = dispatch.PollInterval;
        if (untilToken is { } token && token + DueSlack < wait)
            wait = token + DueSlack;
        try
        {
            if (await store.NextDueAsync(stoppingToken) is { } due)
            {
                var untilDue = due - time.GetUtcNow() + DueSlack;
                // Waiting on a run while the claim that just found nothing skipped handlers at their limit: a pair
                // already due is one of theirs, and a run's end (not the due time) is what lets it start. Sleeping to
                // the due time would spin.
                // The same holds for a rate-limited handler's pairs: the next token is what lets them start.
                if ((runEnded is not null || untilToken is not null) && untilDue <= DueSlack)
                    untilDue = wait;
                if (untilDue < wait)
                    wait = untilDue > DueSlack ? untilDue : DueSlack;
            }
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Only the deadline is lost: the signals and the poll still wake the loop.
            LogWaitFailed(logger, e.Message);
        }

        using var woken = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var newWork = store.WaitForWorkAsync(wait, woken.Token);
        var retry = _retryScheduled.WaitAsync(wait, time, woken.Token);
        await Task.WhenAny(newWork, retry, runEnded ?? newWork);
        await woken.CancelAsync();
        try
        {
            await retry;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
        try
        {
            await newWork;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // A store that listens for work remotely can lose its connection: poll instead.
            LogWaitFailed(logger, e.Message);
            await Task.Delay(wait, time, stoppingToken);
        }
        stoppingToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Runs one claimed pair's handler and starts recording its outcome, which it returns instead of awaiting: the
    /// concurrency slot is the handler's, and waiting for the store's next group commit would hold it idle (with a
    /// cheap handler, that wait was most of a slot's time). The lease fences a late outcome. Never throws.
    /// </summary>
    internal async Task<Task> RunAsync(DispatchItem item, CancellationToken stoppingToken)
    {
        using var activity = metrics.StartHandlerRun(item);
        try
        {
            var handler = catalog.Find(item.Handler);
            if (handler is null)
            {
                LogHandlerMissing(logger, item.Handler, item.EventType, item.WebhookId);
                return RecordAsync(item, $"handler '{item.Handler}' is not registered or configured any more", retryAt: null);
            }
            GeminiEvent e;
            try
            {
                // Handlers never see the binding token (the store keeps the verified bytes).
                var body = Binding.BindingTokenRedaction.Redact(item.Body, options.CurrentValue.Dynamic.Binding);
                e = GeminiEventReader.Read(item.EventType, body, new DeliveryInfo(item.Endpoint, item.WebhookId,
                    DateTimeOffset.FromUnixTimeSeconds(item.Timestamp), item.ReceivedAt, item.Attempt, item.Handler));
            }
            catch (JsonException ex)
            {
                // The body will not change, so retrying cannot help.
                return RecordAsync(item, "the stored body cannot be read as an event: " + ex.Message, retryAt: null);
            }
            if (!handler.CanHandle(e))
                return RecordAsync(item, $"handler '{item.Handler}' does not take {e.GetType().Name} events", retryAt: null);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await handler.InvokeAsync(scope.ServiceProvider, e, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutdown, not a handler fault: hand the pair back as due now so another dispatcher (or the next
                // start) picks it up without waiting for the lease.
                return RecordAsync(item, "interrupted by shutdown", time.GetUtcNow());
            }
            catch (Exception ex)
            {
                var error = Describe(ex);
                var flow = handler.Flow;
                if (item.Attempt >= flow.MaxAttempts)
                {
                    LogDeadLettered(logger, item.Handler, item.EventType, item.WebhookId, item.Attempt, error);
                    await CountForCircuitAsync(handler, succeeded: false);
                    return RecordAsync(item, error, retryAt: null);
                }
                var delay = RetryPolicy.Delay(item.Attempt, flow.BaseDelay, flow.MaxDelay, Random.Shared.NextDouble());
                // The downstream said when: not before then (nor before the backoff), but never past MaxDelay.
                if (ex is RetryAfterException asked)
                    delay = RetryPolicy.NotBefore(delay, asked.RetryAfter, flow.MaxDelay);
                var retryAt = time.GetUtcNow() + delay;
                LogRetry(logger, item.Handler, item.EventType, item.WebhookId, item.Attempt, retryAt, error);
                await CountForCircuitAsync(handler, succeeded: false);
                return RecordAsync(item, error, retryAt);
            }
            metrics.HandlerSucceeded(item);
            await CountForCircuitAsync(handler, succeeded: true);
            return RecordSuccessAsync(item);
        }
        catch (Exception e)
        {
            // Nothing is recorded: the lease expires and the pair runs again (at least once).
            LogRecordFailed(logger, item.Handler, item.WebhookId, e.Message);
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// For a handler with a circuit breaker, counts the run in the store (shared by every replica). Awaited before the
    /// slot is free, so this dispatcher's next claim already sees a circuit this run opened. A failure to count is logged
    /// and otherwise ignored: the breaker is protection, not bookkeeping.
    /// </summary>
    async Task CountForCircuitAsync(HandlerDescriptor handler, bool succeeded)
    {
        if (handler.Flow.FailureThreshold <= 0)
            return;
        try
        {
            await store.RecordHandlerRunAsync(handler.Name, succeeded, handler.Flow.FailureThreshold, handler.Flow.BreakDuration,
                CancellationToken.None);
        }
        catch (Exception e)
        {
            LogCircuitFailed(logger, handler.Name, e.Message);
        }
    }

    // Recording must survive shutdown (no token): it is what keeps a finished run from running again. A failure to
    // record leaves the pair to its lease: it runs again (at least once).
    async Task RecordSuccessAsync(DispatchItem item)
    {
        try
        {
            if (!await store.CompleteAsync(item, CancellationToken.None))
                LogClaimLost(logger, item.Handler, item.WebhookId);
        }
        catch (Exception e)
        {
            LogRecordFailed(logger, item.Handler, item.WebhookId, e.Message);
        }
    }

    async Task HandBackAsync(DispatchItem item)
    {
        try
        {
            await store.FailAsync(item, "not started before shutdown", time.GetUtcNow(), CancellationToken.None);
        }
        catch (Exception e)
        {
            LogRecordFailed(logger, item.Handler, item.WebhookId, e.Message);
        }
    }

    async Task RecordAsync(DispatchItem item, string error, DateTimeOffset? retryAt)
    {
        metrics.HandlerFailed(item, retryAt, error);
        try
        {
            if (!await store.FailAsync(item, error, retryAt, CancellationToken.None))
                LogClaimLost(logger, item.Handler, item.WebhookId);
            else if (retryAt is not null)
                _retryScheduled.Set();
        }
        catch (Exception e)
        {
            LogRecordFailed(logger, item.Handler, item.WebhookId, e.Message);
        }
    }

    static string Describe(Exception e)
    {
        var text = $"{e.GetType().Name}: {e.Message}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counting a run of {Handler} for its circuit breaker failed: {Reason}")]
    static partial void LogCircuitFailed(ILogger logger, string handler, string reason);

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
