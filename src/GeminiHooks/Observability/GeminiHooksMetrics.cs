using System.Diagnostics;
using System.Diagnostics.Metrics;
using GeminiHooks.Configuration;
using GeminiHooks.Ingest;
using GeminiHooks.Storage;

namespace GeminiHooks.Observability;

/// <summary>
/// The receiver's metrics (meter <c>GeminiHooks</c>) and spans (activity source <c>GeminiHooks</c>). The library only
/// records; exporting (Prometheus, OTLP) is the host's choice, so a library user pays nothing without a listener.
/// Instrument names follow OpenTelemetry conventions (durations in seconds); docs/operations.md lists them with their
/// Prometheus names. The observed instruments live beside it, one job each: <see cref="BacklogGauge"/>,
/// <see cref="ReadinessGauge"/> and <see cref="JwksObserver"/>.
/// </summary>
public sealed class GeminiHooksMetrics
{
    public const string MeterName = "GeminiHooks";
    public const string ActivitySourceName = "GeminiHooks";

    /// <summary>One source for the process: spans are global anyway, and listeners subscribe by name.</summary>
    static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>Ingest answers in well under a millisecond when healthy; the default buckets start at 5 ms.</summary>
    static readonly double[] IngestBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
    static readonly double[] LagBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600];

    readonly Counter<long> _deliveries;
    readonly Counter<long> _verificationFailures;
    readonly Counter<long> _bindingFailures;
    readonly Histogram<double> _ingestDuration;
    readonly Histogram<double> _dispatchLag;
    readonly Counter<long> _handlerRuns;
    readonly Counter<long> _retries;
    readonly Counter<long> _deadLetters;
    readonly Counter<long> _serverErrors;
    readonly TimeProvider _time;
    int _seriesCreated;

    public GeminiHooksMetrics(IMeterFactory meters, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _time = time;
        Timeline = new RecentTimeline(time);
        var meter = meters.Create(MeterName);
        _deliveries = meter.CreateCounter<long>("geminihooks.deliveries", "{delivery}",
            "Deliveries answered, by endpoint and outcome (accepted, duplicate, quarantined, rejected, unavailable, rate_limited, aborted).");
        _bindingFailures = meter.CreateCounter<long>("geminihooks.binding.failures", "{delivery}",
            "Verified dynamic deliveries without a valid binding token, by endpoint, reason (binding_missing, binding_invalid, binding_expired) and action (quarantined, rejected).");
        _verificationFailures = meter.CreateCounter<long>("geminihooks.verification.failures", "{delivery}",
            "Deliveries refused as malformed (400) or unauthenticated (401), by endpoint and reason.");
        _ingestDuration = meter.CreateHistogram("geminihooks.ingest.duration", "s",
            "Time from the request reaching the endpoint to the answer being written.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = IngestBuckets });
        _dispatchLag = meter.CreateHistogram("geminihooks.dispatch.lag", "s",
            "Time from a delivery being received to a handler's first attempt starting.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });
        _handlerRuns = meter.CreateCounter<long>("geminihooks.handler.runs", "{run}",
            "Handler attempts, by handler and outcome (succeeded, retried, dead_lettered).");
        _retries = meter.CreateCounter<long>("geminihooks.handler.retries", "{run}",
            "Failed handler attempts scheduled to run again, by handler.");
        _deadLetters = meter.CreateCounter<long>("geminihooks.dead_letters", "{run}",
            "(event, handler) pairs dead-lettered, by handler.");
        // Why our own counter: the service promises no 5xx but 503, so any other is a bug; ASP.NET Core's request
        // histogram only grows a series for a status after the first one, which the first increase() never sees.
        _serverErrors = meter.CreateCounter<long>("geminihooks.server_errors", "{answer}",
            "HTTP answers with a 5xx status other than 503, on any path (each one is a bug worth reporting).");
    }

    /// <summary>The last hour of this process, minute by minute, for the chart on <c>/admin</c>.</summary>
    internal RecentTimeline Timeline { get; }

    /// <summary>
    /// Delivery outcomes that alert rules watch, created at zero for every enabled endpoint. A counter series that
    /// appears with the value 1 has no earlier sample, so <c>increase()</c> misses that first delivery; a series that
    /// exists from the start at 0 does not have this gap. "quarantined" is the 200 answer of a verified dynamic
    /// delivery that is not bound to this operator's jobs.
    /// </summary>
    static readonly string[] WatchedOutcomes = ["accepted", "unavailable", "rate_limited"];
    static readonly string[] WatchedDynamicOutcomes = ["quarantined"];

    /// <summary>An HTTP answer with a 5xx status other than 503 (counted by the host's outermost middleware).</summary>
    public void ServerError() => _serverErrors.Add(1);

    /// <summary>Starts the span of one delivery (null when nobody listens). Dispose it when answered.</summary>
    public static Activity? StartDelivery(string endpoint)
    {
        var activity = Source.StartActivity("geminihooks.delivery", ActivityKind.Internal);
        activity?.SetTag("geminihooks.endpoint", endpoint);
        return activity;
    }

    /// <summary>Records one answered delivery: its outcome, its refusal reason, its binding failure and its duration.</summary>
    internal void Delivery(Activity? activity, string endpoint, in IngestResult result, TimeSpan elapsed)
    {
        var outcome = result.Outcome.Label();
        var endpointTag = new KeyValuePair<string, object?>("endpoint", endpoint);
        var outcomeTag = new KeyValuePair<string, object?>("outcome", outcome);
        _deliveries.Add(1, endpointTag, outcomeTag);
        Timeline.Delivery(outcome);
        if (result.Status is 400 or 401)
            _verificationFailures.Add(1, endpointTag, new KeyValuePair<string, object?>("reason", result.Reason));
        _ingestDuration.Record(elapsed.TotalSeconds, endpointTag, outcomeTag);
        if (result.BindingFailure is { } binding)
            BindingFailed(endpoint, binding, result.Outcome == DeliveryOutcome.Quarantined ? "quarantined" : "rejected");
        if (activity is null)
            return;
        activity.SetTag("geminihooks.webhook_id", result.WebhookId);
        activity.SetTag("geminihooks.event_type", result.EventType);
        activity.SetTag("geminihooks.outcome", result.Reason);
        activity.SetTag("http.response.status_code", result.Status);
        if (result.Status is >= 500 or 0)
            activity.SetStatus(ActivityStatusCode.Error, result.Reason);
    }

    /// <summary>
    /// Creates the <see cref="WatchedOutcomes"/> series at zero, once. Called on the first collection (by
    /// <see cref="ReadinessGauge"/>), not in the constructor: measurements made before an exporter listens are dropped,
    /// and a collection proves one listens.
    /// </summary>
    internal void CreateWatchedSeriesOnce(GeminiHooksOptions settings)
    {
        if (Interlocked.Exchange(ref _seriesCreated, 1) == 1)
            return;
        _serverErrors.Add(0);
        void Zero(string endpoint, IEnumerable<string> outcomes)
        {
            foreach (var outcome in outcomes)
                _deliveries.Add(0, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("outcome", outcome));
        }
        if (settings.Static.Enabled)
            Zero(DeliveryEndpoints.Static, WatchedOutcomes);
        if (settings.Dynamic.Enabled)
            Zero(DeliveryEndpoints.Dynamic, WatchedOutcomes.Concat(WatchedDynamicOutcomes));
    }

    /// <summary>A verified dynamic delivery that carried no valid binding token; <paramref name="action"/> is quarantined or rejected.</summary>
    public void BindingFailed(string endpoint, string reason, string action) =>
        _bindingFailures.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint),
            new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("action", action));

    /// <summary>A delivery refused by the rate limit before it reached the ingest path.</summary>
    public void RateLimited(string endpoint)
    {
        _deliveries.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("outcome", "rate_limited"));
        Timeline.Delivery("rate_limited");
    }

    /// <summary>
    /// Starts the span of one handler attempt and records the dispatch lag of first attempts. Traces are not parented
    /// to the delivery (the store keeps no trace context); the webhook-id tag is what ties them together.
    /// </summary>
    public Activity? StartHandlerRun(DispatchItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Attempt == 1)
        {
            var lag = _time.GetUtcNow() - item.ReceivedAt;
            _dispatchLag.Record(Math.Max(0, lag.TotalSeconds), new KeyValuePair<string, object?>("handler", item.Handler));
        }
        var activity = Source.StartActivity("geminihooks.handler", ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag("geminihooks.endpoint", item.Endpoint);
            activity.SetTag("geminihooks.webhook_id", item.WebhookId);
            activity.SetTag("geminihooks.event_type", item.EventType);
            activity.SetTag("geminihooks.handler", item.Handler);
            activity.SetTag("geminihooks.attempt", item.Attempt);
        }
        return activity;
    }

    public void HandlerSucceeded(DispatchItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        _handlerRuns.Add(1, new KeyValuePair<string, object?>("handler", item.Handler), new KeyValuePair<string, object?>("outcome", "succeeded"));
        Timeline.HandlerRun("succeeded");
        CurrentRun(item)?.SetTag("geminihooks.outcome", "succeeded");
    }

    /// <summary>A failed attempt: retried at <paramref name="retryAt"/>, or dead-lettered when it is null.</summary>
    public void HandlerFailed(DispatchItem item, DateTimeOffset? retryAt, string error)
    {
        ArgumentNullException.ThrowIfNull(item);
        var handler = new KeyValuePair<string, object?>("handler", item.Handler);
        var outcome = retryAt is null ? "dead_lettered" : "retried";
        _handlerRuns.Add(1, handler, new KeyValuePair<string, object?>("outcome", outcome));
        Timeline.HandlerRun(outcome);
        if (retryAt is null)
            _deadLetters.Add(1, handler);
        else
            _retries.Add(1, handler);
        if (CurrentRun(item) is { } activity)
        {
            activity.SetTag("geminihooks.outcome", outcome);
            activity.SetStatus(ActivityStatusCode.Error, error);
        }
    }

    /// <summary>The dispatcher records outcomes inside the run's async flow, so its span is the current one.</summary>
    static Activity? CurrentRun(DispatchItem item) =>
        Activity.Current is { } current && current.Source == Source && current.OperationName == "geminihooks.handler" &&
        Equals(current.GetTagItem("geminihooks.webhook_id"), item.WebhookId) ? current : null;
}
