using System.Diagnostics;
using System.Diagnostics.Metrics;
using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Verification;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Observability;

/// <summary>
/// The receiver's metrics (meter <c>GeminiHooks</c>) and spans (activity source <c>GeminiHooks</c>). The library only
/// records; exporting (Prometheus, OTLP) is the host's choice, so a library user pays nothing without a listener.
/// Instrument names follow OpenTelemetry conventions (durations in seconds); docs/operations.md lists them with their
/// Prometheus names.
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

    /// <summary>Counting the backlog is a query; scrapes every few seconds from several collectors must not add up.</summary>
    static readonly TimeSpan BacklogCacheFor = TimeSpan.FromSeconds(5);

    readonly Counter<long> _deliveries;
    readonly Counter<long> _verificationFailures;
    readonly Counter<long> _bindingFailures;
    readonly Histogram<double> _ingestDuration;
    readonly Histogram<double> _dispatchLag;
    readonly Counter<long> _handlerRuns;
    readonly Counter<long> _retries;
    readonly Counter<long> _deadLetters;
    readonly Counter<long> _serverErrors;
    readonly IServiceProvider _services;
    readonly TimeProvider _time;
    readonly Lock _backlogGate = new();
    BacklogCounts? _backlog;
    long _backlogAt;
    Task? _backlogRefresh;
    bool? _storeAnswered;
    int _seriesInitialized;

    /// <param name="services">
    /// The store and the JWKS cache are looked up when observed, not injected: a dispatch-only host has no JWKS cache,
    /// and the ingest endpoint (which records here) must not pull the store's construction into its own.
    /// </param>
    public GeminiHooksMetrics(IMeterFactory meters, IServiceProvider services, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _services = services;
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
        meter.CreateObservableGauge("geminihooks.backlog", ObserveBacklog, "{run}",
            "(event, handler) pairs in the store by status (pending, running, succeeded, dead); cached for 5 s.");
        meter.CreateObservableCounter("geminihooks.jwks.refreshes", ObserveJwks, "{fetch}",
            "JWKS fetches by result (succeeded, failed).");
        // Why a gauge beside /readyz: Prometheus scrapes /metrics, not /readyz, and an alert on readiness needs a series.
        meter.CreateObservableGauge("geminihooks.ready", ObserveReady, null,
            "1 when the service is ready (the store answered its last backlog count and, with dynamic webhooks on, a JWKS is loaded), else 0.");
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

    /// <summary>Records one answered delivery. <paramref name="reason"/> is the outcome code of the ingest path.</summary>
    public void Delivery(Activity? activity, string endpoint, int status, string reason, string? webhookId, string? eventType, TimeSpan elapsed)
    {
        var outcome = status switch
        {
            200 => reason,
            0 => "aborted",
            503 => "unavailable",
            _ => "rejected",
        };
        var endpointTag = new KeyValuePair<string, object?>("endpoint", endpoint);
        _deliveries.Add(1, endpointTag, new KeyValuePair<string, object?>("outcome", outcome));
        Timeline.Delivery(outcome);
        if (status is 400 or 401)
            _verificationFailures.Add(1, endpointTag, new KeyValuePair<string, object?>("reason", reason));
        _ingestDuration.Record(elapsed.TotalSeconds, endpointTag, new KeyValuePair<string, object?>("outcome", outcome));
        if (activity is null)
            return;
        activity.SetTag("geminihooks.webhook_id", webhookId);
        activity.SetTag("geminihooks.event_type", eventType);
        activity.SetTag("geminihooks.outcome", reason);
        activity.SetTag("http.response.status_code", status);
        if (status is >= 500 or 0)
            activity.SetStatus(ActivityStatusCode.Error, reason);
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

    IEnumerable<Measurement<long>> ObserveBacklog()
    {
        var counts = CachedBacklog();
        if (counts is null)
            return [];
        return
        [
            new(counts.Pending, new KeyValuePair<string, object?>("status", RunStatus.Pending)),
            new(counts.Running, new KeyValuePair<string, object?>("status", RunStatus.Running)),
            new(counts.Succeeded, new KeyValuePair<string, object?>("status", RunStatus.Succeeded)),
            new(counts.Dead, new KeyValuePair<string, object?>("status", RunStatus.Dead)),
        ];
    }

    /// <summary>
    /// The last counts, refreshed in the background once older than 5 s. Observers are synchronous, so a slow or
    /// unreachable database must not hold up a scrape: only the very first observation waits, and only briefly.
    /// </summary>
    BacklogCounts? CachedBacklog()
    {
        Task? refresh;
        lock (_backlogGate)
        {
            var stale = _backlog is null || Stopwatch.GetElapsedTime(_backlogAt) > BacklogCacheFor;
            if (stale && _backlogRefresh is null)
                _backlogRefresh = Task.Run(RefreshBacklogAsync);
            refresh = _backlog is null ? _backlogRefresh : null;
        }
        // An observable gauge's callback is synchronous: the first collection may wait (briefly) for the first count.
#pragma warning disable VSTHRD002
        refresh?.Wait(TimeSpan.FromSeconds(2));
#pragma warning restore VSTHRD002
        lock (_backlogGate)
            return _backlog;
    }

    async Task RefreshBacklogAsync()
    {
        try
        {
            var store = _services.GetService<IEventStore>();
            if (store is null)
                return;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var counts = await store.CountAsync(timeout.Token);
            lock (_backlogGate)
            {
                _backlog = counts;
                _backlogAt = Stopwatch.GetTimestamp();
                _storeAnswered = true;
            }
            Timeline.Backlog(counts);
        }
        catch (Exception)
        {
            lock (_backlogGate)
                _storeAnswered = false;
            // Keep the last counts (the store may be down or shutting down): a gauge that vanishes reads as "no backlog",
            // and an observer must never throw into the exporter.
        }
        finally
        {
            lock (_backlogGate)
                _backlogRefresh = null;
        }
    }

    IEnumerable<Measurement<long>> ObserveReady()
    {
        InitializeSeriesOnce();
        CachedBacklog();
        bool? storeAnswered;
        lock (_backlogGate)
            storeAnswered = _storeAnswered;
        if (storeAnswered is null)
            return [];
        var dynamicEnabled = _services.GetService<IOptionsMonitor<GeminiHooksOptions>>()?.CurrentValue.Dynamic.Enabled ?? false;
        var jwksLoaded = _services.GetService<JwksCache>()?.Keys is not null;
        return [new(storeAnswered.Value && (!dynamicEnabled || jwksLoaded) ? 1 : 0)];
    }

    /// <summary>
    /// Creates the <see cref="WatchedOutcomes"/> series at zero. Done on the first collection, not in the constructor:
    /// measurements made before an exporter listens are dropped, and a collection proves one listens.
    /// </summary>
    void InitializeSeriesOnce()
    {
        if (Interlocked.Exchange(ref _seriesInitialized, 1) == 1)
            return;
        _serverErrors.Add(0);
        GeminiHooksOptions? settings = null;
        try { settings = _services.GetService<IOptions<GeminiHooksOptions>>()?.Value; }
        catch (OptionsValidationException) { }
        if (settings is null)
            return;
        void Zero(string endpoint, IEnumerable<string> outcomes)
        {
            foreach (var outcome in outcomes)
                _deliveries.Add(0, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("outcome", outcome));
        }
        if (settings.Static.Enabled)
            Zero("static", WatchedOutcomes);
        if (settings.Dynamic.Enabled)
            Zero("dynamic", WatchedOutcomes.Concat(WatchedDynamicOutcomes));
    }

    IEnumerable<Measurement<long>> ObserveJwks()
    {
        if (_services.GetService<JwksCache>() is not { } jwks)
            return [];
        var (succeeded, failed) = jwks.FetchCounts;
        return
        [
            new(succeeded, new KeyValuePair<string, object?>("result", "succeeded")),
            new(failed, new KeyValuePair<string, object?>("result", "failed")),
        ];
    }
}
