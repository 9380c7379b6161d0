using GeminiHooks.Dispatch;
using GeminiHooks.Events;
using GeminiHooks.Observability;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;
using GeminiHooks.Verification;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Ingest;

/// <summary>
/// The store step: a verified delivery is committed durably (or found already there) before the answer is written.
/// </summary>
sealed partial class DeliveryRecorder(
    IEventStore store,
    StoreStartup storeStartup,
    RecentDeliveries recent,
    IHandlerCatalog catalog,
    ReconcileMetrics reconcileMetrics,
    TimeProvider time,
    ILogger<DeliveryRecorder> logger)
{
    /// <param name="bindingFailure">Set for a dynamic delivery that is not bound: it is stored quarantined.</param>
    public async Task<IngestResult> StoreAsync(string endpoint, WebhookHeaders headers, string eventType, ReadOnlyMemory<byte> body,
        EnvelopeReader.DataIdRange dataId, string? bindingFailure, CancellationToken cancellationToken)
    {
        var webhookId = headers.Id;
        if (!storeStartup.Initialized)
            return IngestResult.Refused(Rejection.StoreUnavailable, webhookId, eventType);

        // A redelivery of an id this process stored recently: answered without the write path (see RecentDeliveries).
        if (recent.Contains(endpoint, webhookId))
            return new IngestResult(DeliveryOutcome.Duplicate, null, webhookId, eventType);

        // The store keeps the bytes past this request (group commit): they are copied out of the pooled request buffer.
        var stored = body.ToArray();
        var delivery = bindingFailure is null
            ? new IncomingDelivery(endpoint, webhookId, headers.Timestamp, time.GetUtcNow(), eventType, stored, catalog.HandlersFor(eventType))
            : new IncomingDelivery(endpoint, webhookId, headers.Timestamp, time.GetUtcNow(), eventType, stored, [], Quarantined: true);
        // A terminal job event is matched to its job inside the accept's own transaction (no extra read here, and on
        // PostgreSQL inside the batch's one statement); only then is data.id decoded, so other deliveries pay nothing for
        // it. Always, whether or not reconciliation is on: two registered webhooks with one URL, or a static and a
        // dynamic delivery, bring one job's completion twice under different webhook ids, and only the first may run.
        if (bindingFailure is null && dataId.Found && JobNames.IsTerminal(eventType))
            delivery = delivery with { Job = JobNames.OutcomeOf(eventType, EnvelopeReader.DataId(stored, dataId), reconciled: false) };
        AcceptOutcome accepted;
        try
        {
            accepted = await store.AcceptAsync(delivery, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            return IngestResult.Refused(Rejection.StoreUnavailable, webhookId, eventType);
        }
        catch (StoreRejectedException)
        {
            return IngestResult.Refused(Rejection.StoreRejected, webhookId, eventType);
        }
        recent.Add(endpoint, webhookId);
        switch (accepted)
        {
            case AcceptOutcome.Duplicate:
                return new IngestResult(DeliveryOutcome.Duplicate, null, webhookId, eventType);
            case AcceptOutcome.Superseded or AcceptOutcome.Conflict:
                // Gemini's late delivery of a job that already has its outcome: 2xx so it stops retrying, no handler runs.
                var job = delivery.Job!;
                var conflict = accepted == AcceptOutcome.Conflict;
                LogJobFollower(logger, endpoint, webhookId, eventType, job.Key.Family, job.RawId, conflict);
                if (conflict)
                    reconcileMetrics.Conflict(job.Key.Family, eventType);
                return new IngestResult(conflict ? DeliveryOutcome.Conflict : DeliveryOutcome.Superseded, null, webhookId, eventType);
            default:
                return bindingFailure is null
                    ? new IngestResult(DeliveryOutcome.Accepted, null, webhookId, eventType)
                    : new IngestResult(DeliveryOutcome.Quarantined, null, webhookId, eventType, bindingFailure);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Delivery {Endpoint} {WebhookId} {EventType} of {Family} job {RawJobId} arrived after the job's outcome (conflicting type: {Conflict}); stored, not dispatched")]
    static partial void LogJobFollower(ILogger logger, string endpoint, string webhookId, string? eventType, string family, string rawJobId, bool conflict);
}
