using System.Diagnostics;
using GeminiHooks.Binding;
using GeminiHooks.Configuration;
using GeminiHooks.Events;
using GeminiHooks.Observability;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Ingest;

/// <summary>
/// The delivery path, one straight line of steps: headers (size, ids, timestamp window) → body → verify (signature
/// over the raw bytes) → envelope (<c>type</c>) → bind (dynamic) → store → answer. Each step either hands on or
/// refuses with an entry of the <see cref="Rejection"/> catalogue; the <see cref="DeliveryOutcome"/> it ends with is
/// what the answer, the metrics and the log line read. Nothing unverified is parsed beyond the headers, stored or
/// logged in full.
/// </summary>
sealed partial class IngestEndpoint(
    DeliveryVerification verification,
    DeliveryRecorder recorder,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    GeminiHooksMetrics metrics,
    ILogger<IngestEndpoint> logger)
{
    public const string Static = DeliveryEndpoints.Static;
    public const string Dynamic = DeliveryEndpoints.Dynamic;

    public async Task HandleAsync(HttpContext context, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        using var activity = GeminiHooksMetrics.StartDelivery(endpoint);
        var settings = options.CurrentValue;
        var result = await ProcessAsync(context, endpoint, settings);
        await DeliveryAnswer.WriteAsync(context, result, settings.Store.RetryAfter);
        var elapsed = Stopwatch.GetElapsedTime(started);
        metrics.Delivery(activity, endpoint, result, elapsed);
        Log(endpoint, result, elapsed);
    }

    async Task<IngestResult> ProcessAsync(HttpContext context, string endpoint, GeminiHooksOptions settings)
    {
        if (DeliveryHeaders.Check(context.Request, endpoint == Dynamic, settings.MaxBodyBytes, settings.Tolerance, time.GetUtcNow().ToUnixTimeSeconds(),
                out var headers) is { } refusedHeaders)
            return IngestResult.Refused(refusedHeaders, headers.Id);
        try
        {
            return await ProcessVerifiableAsync(context, endpoint, settings, headers);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while its body, its keys or the store were awaited: nobody to answer.
            return IngestResult.Aborted(headers.Id);
        }
    }

    /// <summary>The steps after the headers: body, signature, envelope, binding, store.</summary>
    async Task<IngestResult> ProcessVerifiableAsync(HttpContext context, string endpoint, GeminiHooksOptions settings, WebhookHeaders headers)
    {
        using var body = await RequestBody.ReadAsync(context, settings.MaxBodyBytes);
        if (body.Failure is { } unreadable)
            return IngestResult.Refused(unreadable, headers.Id);

        var (unverified, eventFromToken) = await verification.VerifyAsync(endpoint, headers, body.Memory, context.RequestAborted);
        if (unverified is { } refusal)
            return IngestResult.Refused(refusal, headers.Id);
        var content = eventFromToken ?? body.Memory;

        var problem = EnvelopeReader.TryReadType(content.Span, out var eventType, out var dataId);
        if (problem != EnvelopeReader.Problem.None)
            return IngestResult.Refused(Rejection.Envelope(problem), headers.Id);

        var bindingFailure = Bind(endpoint, settings, content.Span);
        if (bindingFailure is not null && settings.Dynamic.Binding.Mode == DynamicBindingMode.Reject)
            return IngestResult.Refused(Rejection.Unbound(bindingFailure, settings.Dynamic.Binding.MetadataKey), headers.Id, eventType, bindingFailure);

        return await recorder.StoreAsync(endpoint, headers, eventType!, content, dataId, bindingFailure, settings.Reconcile.Enabled,
            context.RequestAborted);
    }

    /// <summary>
    /// A verified dynamic delivery proves Google sent it, not that it concerns one of the operator's jobs: null when it
    /// is bound (or binding is off), else the reason it is not.
    /// </summary>
    string? Bind(string endpoint, GeminiHooksOptions settings, ReadOnlySpan<byte> content) =>
        endpoint == Dynamic ? DeliveryBinding.Check(settings.Dynamic.Binding, content, time.GetUtcNow()) : null;

    void Log(string endpoint, in IngestResult result, TimeSpan elapsed)
    {
        if (result.Outcome.IsStored())
            LogDelivery(logger, endpoint, result.WebhookId, result.EventType, result.Reason, result.Status, elapsed.TotalMilliseconds);
        else
            LogRejected(logger, endpoint, result.WebhookId, result.EventType, result.Reason, result.Status, elapsed.TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Delivery {Endpoint} {WebhookId} {EventType}: {Outcome} ({Status}) in {DurationMs:0.0} ms")]
    static partial void LogDelivery(ILogger logger, string endpoint, string? webhookId, string? eventType, string outcome, int status, double durationMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Delivery {Endpoint} {WebhookId} {EventType}: {Outcome} ({Status}) in {DurationMs:0.0} ms")]
    static partial void LogRejected(ILogger logger, string endpoint, string? webhookId, string? eventType, string outcome, int status, double durationMs);
}
