using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using GeminiHooks.Configuration;
using GeminiHooks.Dispatch;
using GeminiHooks.Events;
using GeminiHooks.Gemini;
using GeminiHooks.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Reconciliation;

/// <summary>
/// Lists the project's webhooks every <c>Watchdog:Interval</c> and flags those that mean completions will not arrive:
/// disabled (by Gemini after failed deliveries, or by hand), missing, or not subscribed to a type a handler expects.
/// Flags show in a metric, the log and the dashboard; readiness stays green (the receiver itself is fine), and
/// re-enabling stays a manual CLI call.
/// </summary>
internal sealed partial class WebhookWatchdog : BackgroundService
{
    readonly GeminiApiClient _gemini;
    readonly IHandlerCatalog _catalog;
    readonly IOptionsMonitor<GeminiHooksOptions> _options;
    readonly TimeProvider _time;
    readonly ILogger<WebhookWatchdog> _logger;
    volatile WatchdogSnapshot _snapshot = new(null, [], [], null);

    public WebhookWatchdog(GeminiApiClient gemini, IHandlerCatalog catalog, IOptionsMonitor<GeminiHooksOptions> options, TimeProvider time,
        IMeterFactory meters, ILogger<WebhookWatchdog> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _gemini = gemini;
        _catalog = catalog;
        _options = options;
        _time = time;
        _logger = logger;
        var meter = meters.Create(GeminiHooksMetrics.MeterName);
        meter.CreateObservableGauge("geminihooks.webhook_state", ObserveStates, null,
            "1 per webhook at Gemini, labelled with its id, name and state, as the watchdog last listed them.");
        meter.CreateObservableGauge("geminihooks.webhook_flags", ObserveFlags, null,
            "Webhook problems the watchdog flagged at its last look, by kind (disabled, missing, unsubscribed).");
    }

    public WatchdogSnapshot Snapshot => _snapshot;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = _options.CurrentValue.Watchdog;
            if (settings.Enabled)
                await CheckAsync(stoppingToken);
            try
            {
                await Task.Delay(settings.Interval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One look: every page of <c>GET webhooks</c>, then the flags.</summary>
    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        var webhooks = new List<WatchedWebhook>();
        string? pageToken = null;
        for (var page = 0; page < 100; page++)
        {
            var path = "webhooks?page_size=1000" + (pageToken is null ? "" : "&page_token=" + Uri.EscapeDataString(pageToken));
            var response = await _gemini.GetAsync(path, cancellationToken);
            if (!response.Ok || response.Body is null)
            {
                var error = GeminiApiClient.Describe(response);
                LogListFailed(_logger, error);
                _snapshot = _snapshot with { Error = error };
                return;
            }
            foreach (var item in (response.Body["webhooks"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var events = (item["subscribed_events"] ?? item["subscribedEvents"]) as JsonArray;
                webhooks.Add(new WatchedWebhook(Text(item["id"]) ?? Text(item["name"]) ?? "", Text(item["name"]) ?? "",
                    Text(item["state"]) ?? "unknown", events?.Select(Text).OfType<string>().ToList() ?? []));
            }
            pageToken = Text(response.Body["next_page_token"] ?? response.Body["nextPageToken"]) is { Length: > 0 } t ? t : null;
            if (pageToken is null)
                break;
        }
        var flags = Flag(webhooks);
        foreach (var flag in flags)
            LogFlag(_logger, flag.Kind, flag.Webhook, flag.Detail);
        _snapshot = new WatchdogSnapshot(_time.GetUtcNow(), webhooks, flags, null);
    }

    List<WatchdogFlag> Flag(List<WatchedWebhook> webhooks)
    {
        var flags = new List<WatchdogFlag>();
        foreach (var webhook in webhooks)
        {
            if (webhook.State is "disabled_due_to_failed_deliveries" or "disabled")
                flags.Add(new WatchdogFlag("disabled", webhook.Name.Length > 0 ? webhook.Name : webhook.Id, webhook.State));
        }
        foreach (var expected in _options.CurrentValue.Watchdog.Webhooks)
        {
            if (!webhooks.Any(w => Matches(w, expected)))
                flags.Add(new WatchdogFlag("missing", expected, "not listed by GET webhooks"));
        }
        // Types a handler takes that no enabled webhook delivers: their completions will never arrive.
        var delivered = webhooks.Where(w => w.State == "enabled").SelectMany(w => w.SubscribedEvents).ToHashSet(StringComparer.Ordinal);
        var missingTypes = GeminiEventTypes.Subscribable
            .Where(t => _catalog.HandlersFor(t).Count > 0 && !delivered.Contains(t)).ToList();
        if (missingTypes.Count > 0 && webhooks.Count > 0)
            flags.Add(new WatchdogFlag("unsubscribed", "*", string.Join(", ", missingTypes)));
        return flags;
    }

    static bool Matches(WatchedWebhook webhook, string expected) =>
        string.Equals(webhook.Id, expected, StringComparison.Ordinal) || string.Equals(webhook.Name, expected, StringComparison.Ordinal) ||
        string.Equals("webhooks/" + webhook.Id, expected, StringComparison.Ordinal);

    IEnumerable<Measurement<int>> ObserveStates() => _snapshot.Webhooks.Select(w => new Measurement<int>(1,
        new("id", w.Id), new("name", w.Name), new("state", w.State)));

    IEnumerable<Measurement<int>> ObserveFlags()
    {
        var flags = _snapshot.Flags;
        foreach (var kind in (string[])["disabled", "missing", "unsubscribed"])
            yield return new Measurement<int>(flags.Count(f => f.Kind == kind), new KeyValuePair<string, object?>("kind", kind));
    }

    static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook watchdog: {Kind} {Webhook} ({Detail}); completions may not be delivered")]
    static partial void LogFlag(ILogger logger, string kind, string webhook, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook watchdog could not list the webhooks: {Error}")]
    static partial void LogListFailed(ILogger logger, string error);
}
