using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using GeminiHooks.Binding;
using GeminiHooks.Dispatch;
using GeminiHooks.Configuration;
using GeminiHooks.Events;
using GeminiHooks.Http;
using GeminiHooks.Observability;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Ingest;

/// <summary>
/// The delivery path, one straight line: size limit → headers → timestamp window → signature over the raw bytes →
/// envelope type → durable store → answer. Nothing unverified is parsed beyond the headers, stored or logged in full.
/// </summary>
sealed partial class IngestEndpoint(
    StaticWebhookVerifier staticVerifier,
    DynamicWebhookVerifier dynamicVerifier,
    DeliveryBinder binder,
    IEventStore store,
    StoreStartup storeStartup,
    RecentDeliveries recent,
    IHandlerCatalog catalog,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    GeminiHooksMetrics metrics,
    ReconcileMetrics reconcileMetrics,
    ILogger<IngestEndpoint> logger)
{
    public const string Static = DeliveryEndpoints.Static;
    public const string Dynamic = DeliveryEndpoints.Dynamic;
    const int MaxIdLength = 256;
    const int MaxSignatureLength = 16 * 1024;

    static readonly byte[] AcceptedBody = """{"status":"accepted"}"""u8.ToArray();
    static readonly byte[] DuplicateBody = """{"status":"duplicate"}"""u8.ToArray();
    static readonly byte[] QuarantinedBody = """{"status":"quarantined"}"""u8.ToArray();

    public async Task HandleAsync(HttpContext context, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        using var activity = GeminiHooksMetrics.StartDelivery(endpoint);
        var settings = options.CurrentValue;
        var result = await ProcessAsync(context, endpoint, settings);
        if (result.Status == StatusCodes.Status200OK)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            var body = result.Outcome switch { "accepted" => AcceptedBody, "quarantined" => QuarantinedBody, _ => DuplicateBody };
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
        else if (result.Status != 0)
        {
            if (result.Status == StatusCodes.Status503ServiceUnavailable)
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(settings.Store.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await ProblemResponse.WriteAsync(context, result.Status, result.Detail ?? result.Outcome);
        }
        var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        metrics.Delivery(activity, endpoint, result.Status, result.Outcome, result.WebhookId, result.EventType, TimeSpan.FromMilliseconds(elapsedMs));
        if (result.Binding is { } bindingReason)
            metrics.BindingFailed(endpoint, bindingReason, result.Outcome == "quarantined" ? "quarantined" : "rejected");
        if (result.Status == StatusCodes.Status200OK)
            LogDelivery(logger, endpoint, result.WebhookId, result.EventType, result.Outcome, result.Status, elapsedMs);
        else
            LogRejected(logger, endpoint, result.WebhookId, result.EventType, result.Outcome, result.Status, elapsedMs);
    }

    async Task<IngestResult> ProcessAsync(HttpContext context, string endpoint, GeminiHooksOptions settings)
    {
        var request = context.Request;
        var maxBody = settings.MaxBodyBytes;
        if (request.ContentLength > maxBody)
            return IngestResult.Reject(413, "body_too_large", $"The body is larger than {maxBody} bytes.");

        // Headers first: a request without them is answered without reading its body.
        if (!TryGetHeader(request, "webhook-id", MaxIdLength, out var webhookId))
            return IngestResult.Reject(400, "missing_webhook_id", "The webhook-id header is missing, repeated or longer than 256 characters.");
        if (!TryGetHeader(request, "webhook-timestamp", 20, out var timestampText) ||
            !long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
            return IngestResult.Reject(400, "bad_webhook_timestamp", "The webhook-timestamp header is missing or not Unix seconds.", webhookId);
        if (!TryGetHeader(request, "webhook-signature", MaxSignatureLength, out var signature))
            return IngestResult.Reject(400, "missing_webhook_signature", "The webhook-signature header is missing or repeated.", webhookId);

        var (body, readFailure) = await ReadBodyAsync(context, maxBody);
        if (body is null)
            return readFailure switch
            {
                StatusCodes.Status408RequestTimeout => IngestResult.Reject(408, "body_read_timeout",
                    "The body arrived too slowly and the read timed out.", webhookId),
                _ when context.RequestAborted.IsCancellationRequested => IngestResult.Aborted(webhookId),
                StatusCodes.Status400BadRequest => IngestResult.Reject(400, "body_unreadable",
                    "The body's framing is invalid and it cannot be read.", webhookId),
                _ => IngestResult.Reject(413, "body_too_large", $"The body is larger than {maxBody} bytes.", webhookId),
            };

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - timestamp) > (long)settings.Tolerance.TotalSeconds)
            return IngestResult.Reject(401, "timestamp_outside_tolerance",
                $"webhook-timestamp is more than {settings.Tolerance} away from the receiver's clock.", webhookId);

        var headers = new WebhookHeaders(webhookId, timestampText, timestamp, signature);
        VerificationResult verification;
        try
        {
            verification = endpoint == Static
                ? staticVerifier.Verify(headers, body)
                : await dynamicVerifier.VerifyAsync(headers, body, context.RequestAborted);
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json throws this (not JsonException) when a well-formed JSON string cannot become a .NET
            // string: an unpaired surrogate escape or invalid UTF-8 in the token's claims or the body it is compared with.
            return IngestResult.Reject(400, "body_not_text",
                "The token or body holds a string that is not valid Unicode (invalid UTF-8 or an unpaired surrogate escape).", webhookId);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return IngestResult.Aborted(webhookId);
        }
        switch (verification.Outcome)
        {
            // The verifier's reason is a stable code naming the check that failed (never secret material): the
            // sender's operator needs it to tell a wrong audience from a wrong key.
            case VerificationOutcome.Malformed:
                return IngestResult.Reject(400, verification.Reason,
                    $"The webhook-signature header, or what it covers, cannot be parsed ({verification.Reason}).", webhookId);
            case VerificationOutcome.Unauthorized:
                return IngestResult.Reject(401, verification.Reason, $"{FailureDetail.For(verification.Reason)} ({verification.Reason})", webhookId);
            case VerificationOutcome.KeysUnavailable:
                return IngestResult.Reject(503, verification.Reason, "The signing keys cannot be fetched right now; retry later.", webhookId);
        }
        if (verification.EventFromToken is { } fromToken)
            body = fromToken;

        var problem = EnvelopeReader.TryReadType(body, out var eventType, out var dataId);
        if (problem != EnvelopeReader.Problem.None)
            return IngestResult.Reject(400, problem switch
            {
                EnvelopeReader.Problem.NotJson => "body_not_json",
                EnvelopeReader.Problem.NotObject => "body_not_object",
                EnvelopeReader.Problem.NotText => "body_not_text",
                _ => "body_without_type",
            }, problem switch
            {
                EnvelopeReader.Problem.NotJson => "The body is not JSON.",
                EnvelopeReader.Problem.NotObject => "The body is not a JSON object.",
                EnvelopeReader.Problem.NotText =>
                    "The body holds a string that is not valid Unicode (invalid UTF-8 or an unpaired surrogate escape).",
                _ => "The body has no string \"type\" (of at most 200 characters, without control characters).",
            }, webhookId);

        if (!storeStartup.Initialized)
            return IngestResult.Reject(503, "store_unavailable", "The event store cannot be reached; retry later.", webhookId, eventType);

        // Binding: a verified dynamic delivery proves Google sent it, not that it concerns one of the operator's jobs.
        var bound = endpoint == Dynamic ? await binder.BindAsync(body, eventType!, context.RequestAborted) : BindingDecision.Bound;
        if (bound.Verdict is BindingVerdict.Reject or BindingVerdict.Unavailable)
            return IngestResult.Reject(bound.Verdict == BindingVerdict.Reject ? 403 : 503, bound.Reason!, bound.Detail!, webhookId, eventType) with
                { Binding = bound.Verdict == BindingVerdict.Reject ? bound.Reason : null };
        var binding = bound.Verdict == BindingVerdict.Quarantine ? bound.Reason : null;

        // A redelivery of an id this process stored recently: answered without the write path (see RecentDeliveries).
        if (recent.Contains(endpoint, webhookId))
            return new IngestResult(200, "duplicate", null, webhookId, eventType);

        var delivery = binding is null
            ? new IncomingDelivery(endpoint, webhookId, timestamp, time.GetUtcNow(), eventType!, body, catalog.HandlersFor(eventType!))
            : new IncomingDelivery(endpoint, webhookId, timestamp, time.GetUtcNow(), eventType!, body, [], Quarantined: true);
        // A terminal job event is matched to its job inside the accept's own transaction (no extra read here); only
        // then is data.id decoded, so other deliveries pay nothing for it. Only while reconciliation is on: the match is
        // what keeps a synthesized event and Gemini's own from both running, and it costs the accept a write of its own
        // (a transaction of its own on PostgreSQL).
        if (settings.Reconcile.Enabled && binding is null && dataId.Found && JobNames.IsTerminal(eventType!))
            delivery = delivery with { Job = JobNames.OutcomeOf(eventType!, EnvelopeReader.DataId(body, dataId), reconciled: false) };
        try
        {
            var outcome = await store.AcceptAsync(delivery, context.RequestAborted);
            recent.Add(endpoint, webhookId);
            if (outcome == AcceptOutcome.Duplicate)
                return new IngestResult(200, "duplicate", null, webhookId, eventType);
            if (outcome is AcceptOutcome.Superseded or AcceptOutcome.Conflict)
            {
                // Gemini's late delivery of a job that already has its outcome: 2xx so it stops retrying, no handler runs.
                var job = delivery.Job!;
                LogJobFollower(logger, endpoint, webhookId, eventType, job.Key.Family, job.RawId, outcome == AcceptOutcome.Conflict);
                if (outcome == AcceptOutcome.Conflict)
                    reconcileMetrics.Conflict(job.Key.Family, eventType!);
                return new IngestResult(200, "duplicate", null, webhookId, eventType);
            }
            return binding is null
                ? new IngestResult(200, "accepted", null, webhookId, eventType)
                : new IngestResult(200, "quarantined", null, webhookId, eventType, binding);
        }
        catch (StoreUnavailableException)
        {
            return IngestResult.Reject(503, "store_unavailable", "The event store cannot be reached; retry later.", webhookId, eventType);
        }
        catch (StoreRejectedException)
        {
            // A verified delivery the store cannot hold as it is (a key it cannot represent): a retry cannot help, so
            // not a 503; it fails alone, never the batch it was committed with.
            return IngestResult.Reject(422, "store_rejected",
                "The event store cannot represent this delivery (its webhook-id or endpoint); sending it again will not help.", webhookId, eventType);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return IngestResult.Aborted(webhookId);
        }
    }

    static bool TryGetHeader(HttpRequest request, string name, int maxLength, out string value)
    {
        value = "";
        if (!request.Headers.TryGetValue(name, out var values) || values.Count != 1)
            return false;
        value = values[0]!.Trim();
        return value.Length > 0 && value.Length <= maxLength;
    }

    /// <summary>
    /// The exact body bytes, or null when it exceeds the limit, the client went away, or the body arrived too slowly
    /// (then the failure is 408).
    /// </summary>
    static async Task<(byte[]? Body, int Failure)> ReadBodyAsync(HttpContext context, int maxBody)
    {
        // The size limit is ours (413 with a problem body), not Kestrel's default.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = null;
        var stream = context.Request.Body;
        try
        {
            if (context.Request.ContentLength is { } length)
            {
                var exact = new byte[length];
                await stream.ReadExactlyAsync(exact, context.RequestAborted);
                return (exact, 0);
            }
            // Chunked: read into a pooled buffer, never more than the limit plus one byte.
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBody + 1, 16 * 1024));
            try
            {
                var total = 0;
                while (true)
                {
                    if (total == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxBody + 1, buffer.Length * 2));
                        buffer.AsSpan(0, total).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    var read = await stream.ReadAsync(buffer.AsMemory(total, Math.Min(buffer.Length, maxBody + 1) - total), context.RequestAborted);
                    if (read == 0)
                        return (buffer.AsSpan(0, total).ToArray(), 0);
                    total += read;
                    if (total > maxBody)
                        return (null, StatusCodes.Status413PayloadTooLarge);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's minimum body data rate (a trickled body) surfaces as 408; other framing errors as 400/413.
            return (null, e.StatusCode);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return (null, 0);
        }
    }

    /// <summary><see cref="Binding"/>: the binding failure of a verified dynamic delivery (quarantined or refused).</summary>
    readonly record struct IngestResult(int Status, string Outcome, string? Detail, string? WebhookId, string? EventType = null, string? Binding = null)
    {
        public static IngestResult Reject(int status, string reason, string detail, string? webhookId = null, string? eventType = null) =>
            new(status, reason, detail, webhookId, eventType);

        /// <summary>The client went away: nothing to answer.</summary>
        public static IngestResult Aborted(string? webhookId) => new(0, "client_aborted", null, webhookId);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Delivery {Endpoint} {WebhookId} {EventType} of {Family} job {RawJobId} arrived after the job's outcome (conflicting type: {Conflict}); stored, not dispatched")]
    static partial void LogJobFollower(ILogger logger, string endpoint, string webhookId, string? eventType, string family, string rawJobId, bool conflict);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Delivery {Endpoint} {WebhookId} {EventType}: {Outcome} ({Status}) in {DurationMs:0.0} ms")]
    static partial void LogDelivery(ILogger logger, string endpoint, string? webhookId, string? eventType, string outcome, int status, double durationMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Delivery {Endpoint} {WebhookId} {EventType}: {Outcome} ({Status}) in {DurationMs:0.0} ms")]
    static partial void LogRejected(ILogger logger, string endpoint, string? webhookId, string? eventType, string outcome, int status, double durationMs);
}
