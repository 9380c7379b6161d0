using System.Globalization;
using System.Text.Json;
using GeminiHooks.Configuration;
using GeminiHooks.Dispatch;
using GeminiHooks.Events;
using GeminiHooks.Http;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Admin;

/// <summary>The operator API: list, show and replay stored events, replay dead letters.</summary>
static class AdminEndpoints
{
    /// <summary>Maps <c>/admin/...</c> when an admin key is set; the key is re-read on every request (reloads rotate it).</summary>
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = endpoints.ServiceProvider.GetRequiredService<IOptionsMonitor<GeminiHooksOptions>>();
        try
        {
            if (string.IsNullOrEmpty(options.CurrentValue.Admin.ApiKey))
                return endpoints;
        }
        catch (OptionsValidationException)
        {
            // Invalid settings stop the host at start (ValidateOnStart) with the full list; mapping must not pre-empt
            // that message. The filter below re-reads the key on every request anyway.
        }

        var gate = new AdminGate(options, endpoints.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System);
        endpoints.MapGeminiHooksDashboard(gate);
        var admin = endpoints.MapGroup("/admin").AddEndpointFilter(async (context, next) =>
            gate.Check(context.HttpContext) ?? await next(context));

        admin.MapGet("/events", ListAsync);
        admin.MapGet("/events/{endpoint}/{webhookId}", GetAsync);
        admin.MapPost("/events/{endpoint}/{webhookId}/replay", ReplayAsync);
        admin.MapPost("/dead-letters/replay", ReplayDeadLettersAsync);
        admin.MapGet("/backlog", BacklogAsync);
        admin.MapGet("/stats/timeseries", AdminTimeseriesEndpoint.GetAsync);
        AdminJobEndpoints.Map(admin);
        AdminHandlerEndpoints.Map(admin);
        Replays.AdminReplayEndpoints.Map(admin);
        Artifacts.AdminArtifactEndpoints.Map(admin);
        return endpoints;
    }

    /// <summary>Stored events, newest first: every search filter of <see cref="EventFilterParser"/>, plus limit and cursor.</summary>
    static async Task<IResult> ListAsync(HttpRequest request, IEventStore store, CancellationToken cancellationToken)
    {
        var count = 50;
        string? cursor = null;
        var filters = new List<KeyValuePair<string, string>>();
        foreach (var (key, values) in request.Query)
        {
            if (key is "limit" or "cursor" && values.Count > 1)
                return BadRequest($"{key} is given more than once");
            var value = values.ToString();
            if (key == "limit")
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > 500)
                    return BadRequest("limit must be a number from 1 to 500");
            }
            else if (key == "cursor")
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    return BadRequest("cursor must be the next_cursor of a previous page");
                cursor = value;
            }
            else if (!(key == "type" && value.Length == 0)) // an empty type has always meant every type
                filters.AddRange(values.Select(v => new KeyValuePair<string, string>(key, v ?? "")));
        }
        if (EventFilterParser.Parse(filters, out var error) is not { } filter)
            return BadRequest(error!);
        var page = await store.ListEventsAsync(new EventQuery(Limit: count, Cursor: cursor) { Filter = filter }, cancellationToken);
        return TypedResults.Json(new AdminEventList(page.Events.Select(e => ToDto(e, withBody: false)).ToList(), page.NextCursor),
            AdminJsonContext.Default.AdminEventList);
    }

    static async Task<IResult> GetAsync(string endpoint, string webhookId, IEventStore store, IOptionsMonitor<GeminiHooksOptions> options,
        CancellationToken cancellationToken)
    {
        if (!Storable(endpoint) || !Storable(webhookId))
            return NotFound();
        var stored = await store.GetEventAsync(endpoint, webhookId, cancellationToken);
        return stored is null
            ? NotFound()
            : TypedResults.Json(ToDto(stored.Body is { } body
                ? stored with { Body = Binding.BindingTokenRedaction.Redact(body, options.CurrentValue.Dynamic.Binding) }
                : stored, withBody: true), AdminJsonContext.Default.AdminEvent);
    }

    static async Task<IResult> ReplayAsync(string endpoint, string webhookId, string? handler, IEventStore store,
        HandlerCatalog catalog, CancellationToken cancellationToken)
    {
        if (!Storable(endpoint) || !Storable(webhookId))
            return NotFound();
        var stored = await store.GetEventAsync(endpoint, webhookId, cancellationToken);
        if (stored is null)
            return NotFound();
        IReadOnlyList<string> handlers;
        if (string.IsNullOrEmpty(handler))
            handlers = catalog.HandlersFor(stored.EventType);
        else
        {
            var found = catalog.Find(handler);
            if (found is null)
                return BadRequest($"no handler is named '{handler}' (known: {string.Join(", ", catalog.Names.Order(StringComparer.Ordinal))})");
            if (!found.Accepts(stored.EventType))
                return BadRequest($"handler '{handler}' does not take events of type '{stored.EventType}'");
            handlers = [handler];
        }
        var queued = await store.ReplayAsync(endpoint, webhookId, handlers, cancellationToken);
        return queued is null
            ? NotFound()
            : TypedResults.Json(new AdminReplayResult(queued.Value, handlers), AdminJsonContext.Default.AdminReplayResult);
    }

    static async Task<IResult> ReplayDeadLettersAsync(string? type, IEventStore store, CancellationToken cancellationToken)
    {
        if (type is not null && !Storable(type))
            return BadRequest("type must not contain control characters");
        var queued = await store.ReplayDeadLettersAsync(string.IsNullOrEmpty(type) ? null : type, cancellationToken);
        return TypedResults.Json(new AdminReplayResult(queued, null), AdminJsonContext.Default.AdminReplayResult);
    }

    /// <summary>(event, handler) pairs by status, for the dashboard's health panel.</summary>
    static async Task<IResult> BacklogAsync(IEventStore store, CancellationToken cancellationToken)
    {
        var counts = await store.CountAsync(cancellationToken);
        return TypedResults.Json(new AdminBacklog(counts.Pending, counts.Running, counts.Succeeded, counts.Dead),
            AdminJsonContext.Default.AdminBacklog);
    }

    /// <summary>
    /// Ingest never stores a webhook-id, endpoint or type with control characters (headers cannot carry them, and
    /// type is checked), and PostgreSQL text cannot even hold NUL: a query for one is answered here, not by the store.
    /// </summary>
    static bool Storable(string value) => !value.Any(char.IsControl);

    static AdminEvent ToDto(StoredEvent e, bool withBody)
    {
        JsonElement? body = null;
        string? bodyBase64 = null;
        if (withBody && e.Body is { } bytes)
        {
            // A body whose strings are not all valid Unicode (stored before ingest refused them) parses, but cannot
            // be written back as JSON text: it is shown as base64 like any other body that is not JSON.
            if (EnvelopeReader.IsUnicodeJson(bytes.Span))
            {
                using var document = JsonDocument.Parse(bytes);
                body = document.RootElement.Clone();
            }
            else
                bodyBase64 = Convert.ToBase64String(bytes.Span);
        }
        return new AdminEvent(e.Id, e.Endpoint, e.WebhookId, e.Timestamp, e.ReceivedAt, e.EventType, e.Status,
            e.Handlers.Select(h => new AdminHandlerRun(h.Handler, h.Status, h.Attempts, h.NextAttemptAt, h.LastError, h.UpdatedAt)).ToList(),
            body, bodyBase64);
    }

    // The route values are not echoed: they are the client's text, and the answer should not reflect it.
    static IResult NotFound() => ProblemResponse.Result(StatusCodes.Status404NotFound,
        "No event with this webhook-id is stored for this endpoint (static or dynamic).");

    static IResult BadRequest(string detail) => ProblemResponse.Result(StatusCodes.Status400BadRequest, detail);
}
