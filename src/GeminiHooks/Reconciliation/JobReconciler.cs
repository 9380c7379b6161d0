using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Configuration;
using GeminiHooks.Dispatch;
using GeminiHooks.Gemini;
using GeminiHooks.Ingest;
using GeminiHooks.Observability;
using GeminiHooks.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Reconciliation;

/// <summary>
/// Polls each open tracked job at Gemini; once a job has ended and no terminal delivery matched it within the grace
/// time, synthesizes the event Gemini would have sent and accepts it like any delivery (endpoint <c>reconciled</c>, a
/// webhook id derived from family, job and type), so the dispatcher, dead letters and replay treat it as usual.
/// A job whose outcome is already recorded costs no request: the due query closes it first.
/// </summary>
internal sealed partial class JobReconciler(
    IEventStore store,
    StoreStartup storeStartup,
    GeminiApiClient gemini,
    IHandlerCatalog catalog,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    ReconcileMetrics metrics,
    ILogger<JobReconciler> logger) : BackgroundService
{
    const int MaxPerCycle = 100;
    DateTimeOffset _nextDiscovery = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue.Reconcile;
            if (settings.Enabled && storeStartup.Initialized)
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (StoreUnavailableException e)
                {
                    LogStoreUnavailable(logger, e.Message);
                }
            }
            try
            {
                await Task.Delay(settings.Tick, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass: discovery when due, then every due poll (at most <see cref="MaxPerCycle"/>).</summary>
    internal async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var jobs = (IJobStore)store;
        var settings = options.CurrentValue.Reconcile;
        if (settings.DiscoverBatches && time.GetUtcNow() >= _nextDiscovery)
        {
            _nextDiscovery = time.GetUtcNow() + settings.DiscoverInterval;
            await DiscoverBatchesAsync(jobs, cancellationToken);
        }
        foreach (var job in await jobs.DueAsync(time.GetUtcNow(), MaxPerCycle, cancellationToken))
        {
            if (!await PollAsync(jobs, job, settings, cancellationToken))
                break; // the request budget is spent: the rest wait for their next turn
        }
    }

    /// <summary>Polls one job; false when no request could be made (budget spent), so the pass stops.</summary>
    async Task<bool> PollAsync(IJobStore jobs, TrackedJob job, ReconcileOptions settings, CancellationToken cancellationToken)
    {
        var response = await gemini.GetAsync(job.Name, cancellationToken);
        var now = time.GetUtcNow();
        var polls = job.Polls + 1;
        var backoff = TimeSpan.FromTicks(Math.Min(settings.PollMax.Ticks,
            settings.PollInitial.Ticks * (long)Math.Pow(2, Math.Min(job.Polls, 30))));
        if (!response.Ok || response.Body is null)
        {
            if (GeminiApiClient.IsNotFound(response))
            {
                LogAbandoned(logger, job.Family, job.Name, "not found at Gemini");
                await jobs.RecordPollAsync(job.Key, new JobPoll(TrackedJobStatus.Abandoned, now, polls, job.JobState, job.EndedAt,
                    GeminiApiClient.Describe(response), now), cancellationToken);
                return true;
            }
            await jobs.RecordPollAsync(job.Key, new JobPoll(job.Status, now + backoff, polls, job.JobState, job.EndedAt,
                GeminiApiClient.Describe(response), now), cancellationToken);
            return response.Status != 0;
        }
        var reading = JobResources.Read(job.Family, job.Name, response.Body);
        if (!reading.Ended)
        {
            var abandon = now - job.CreatedAt > settings.MaxAgeFor(job.Family);
            if (abandon)
                LogAbandoned(logger, job.Family, job.Name, "tracked longer than the family's maximum age");
            await jobs.RecordPollAsync(job.Key, new JobPoll(abandon ? TrackedJobStatus.Abandoned : TrackedJobStatus.Open,
                now + backoff, polls, reading.State, null, null, now), cancellationToken);
            return true;
        }
        if (reading.EventType is null)
        {
            // An ending Gemini announces with no event type: say so, never invent a type.
            metrics.Unmapped(job.Family, reading.State);
            LogUnmapped(logger, job.Family, job.Name, reading.State);
            await jobs.RecordPollAsync(job.Key, new JobPoll(TrackedJobStatus.NoEventType, now, polls, reading.State, job.EndedAt ?? now,
                null, now), cancellationToken);
            return true;
        }
        var endedAt = job.EndedAt ?? now;
        if (now - endedAt < settings.Grace)
        {
            // Gemini's own delivery may still be on its way: look again when the grace time is over.
            await jobs.RecordPollAsync(job.Key, new JobPoll(TrackedJobStatus.Ended, endedAt + settings.Grace, polls, reading.State,
                endedAt, null, now), cancellationToken);
            return true;
        }
        var outcome = await SynthesizeAsync(job, reading.EventType, reading.Data!, now, cancellationToken);
        await jobs.RecordPollAsync(job.Key, new JobPoll(TrackedJobStatus.Delivered, now, polls, reading.State, endedAt,
            null, now), cancellationToken);
        LogReconciled(logger, job.Family, job.Name, reading.EventType, outcome.ToString());
        return true;
    }

    async Task<AcceptOutcome> SynthesizeAsync(TrackedJob job, string eventType, JsonObject data, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var envelope = new JsonObject
        {
            ["type"] = eventType,
            ["version"] = "v1",
            ["timestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["data"] = data,
        };
        var body = Encoding.UTF8.GetBytes(envelope.ToJsonString());
        var delivery = new IncomingDelivery(DeliveryEndpoints.Reconciled, ReconciledWebhookId(job.Key, eventType),
            now.ToUnixTimeSeconds(), now, eventType, body, catalog.HandlersFor(eventType))
        {
            Job = JobNames.OutcomeOf(eventType, job.Name, reconciled: true),
        };
        var outcome = await store.AcceptAsync(delivery, cancellationToken);
        switch (outcome)
        {
            case AcceptOutcome.Accepted:
                metrics.Synthesized(job.Family, eventType);
                break;
            case AcceptOutcome.Conflict:
                metrics.Conflict(job.Family, eventType);
                break;
        }
        return outcome;
    }

    /// <summary>The same job and type always get the same id, so a synthesis repeated after a crash is a duplicate.</summary>
    internal static string ReconciledWebhookId(JobKey key, string eventType) =>
        "reconciled_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{key.Family}\n{key.JobId}\n{eventType}")))[..32];

    /// <summary>Lists the project's batches (all pages) and tracks the unfinished ones.</summary>
    async Task DiscoverBatchesAsync(IJobStore jobs, CancellationToken cancellationToken)
    {
        string? pageToken = null;
        var tracked = 0;
        for (var page = 0; page < 100; page++)
        {
            var path = "batches?pageSize=100" + (pageToken is null ? "" : "&pageToken=" + Uri.EscapeDataString(pageToken));
            var response = await gemini.GetAsync(path, cancellationToken);
            if (!response.Ok || response.Body is null)
                return;
            foreach (var op in (response.Body["operations"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var name = op["name"] is JsonValue v && v.TryGetValue<string>(out var n) ? n : null;
                if (JobNames.Parse(name) is not { Family: JobFamily.Batch } key || JobResources.Read(JobFamily.Batch, name!, op).Ended)
                    continue;
                if (await jobs.TrackAsync(name!, key, time.GetUtcNow(), cancellationToken))
                    tracked++;
            }
            pageToken = response.Body["nextPageToken"] is JsonValue t && t.TryGetValue<string>(out var token) && token.Length > 0 ? token : null;
            if (pageToken is null)
                break;
        }
        if (tracked > 0)
            LogDiscovered(logger, tracked);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciled {Family} job {Name}: synthesized {EventType} ({Outcome}); Gemini's delivery did not arrive within the grace time")]
    static partial void LogReconciled(ILogger logger, string family, string name, string eventType, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Family} job {Name} ended as {State}, which has no Gemini event type: nothing synthesized")]
    static partial void LogUnmapped(ILogger logger, string family, string name, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Family} job {Name} is no longer tracked: {Reason}")]
    static partial void LogAbandoned(ILogger logger, string family, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch discovery tracked {Count} unfinished batches")]
    static partial void LogDiscovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation pass skipped: {Reason}")]
    static partial void LogStoreUnavailable(ILogger logger, string reason);
}
