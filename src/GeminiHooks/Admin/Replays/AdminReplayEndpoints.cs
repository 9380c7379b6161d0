using System.Text.Json;
using GeminiHooks.Dispatch;
using GeminiHooks.Http;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GeminiHooks.Admin.Replays;

/// <summary>
/// <c>/admin/replays</c>: replay every event a search filter matches. A dry run counts; a real one is recorded (who,
/// when, the filter) and worked in the background by <see cref="ReplayWorker"/> on whichever process leases it.
/// </summary>
static class AdminReplayEndpoints
{
    static readonly string[] BodyKeys = ["filter", "handlers", "dry_run"];

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPost("/replays", StartAsync);
        admin.MapGet("/replays/{id}", GetAsync);
    }

    static async Task<IResult> StartAsync(HttpRequest request, IEventStore store, HandlerCatalog catalog, ReplayWakeup wakeup,
        CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            return BadRequest("the body must be a JSON object: {\"filter\": {…}, \"handlers\": [\"name\"], \"dry_run\": true}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return BadRequest("the body must be a JSON object: {\"filter\": {…}, \"handlers\": [\"name\"], \"dry_run\": true}");
            foreach (var property in root.EnumerateObject())
            {
                if (!BodyKeys.Contains(property.Name, StringComparer.Ordinal))
                    return BadRequest($"the body takes only {string.Join(", ", BodyKeys)}");
            }
            var pairs = new List<KeyValuePair<string, string>>();
            if (root.TryGetProperty("filter", out var filterJson))
            {
                if (filterJson.ValueKind != JsonValueKind.Object)
                    return BadRequest("filter must be an object of search keys, e.g. {\"job\": \"batches/123\"}");
                foreach (var key in filterJson.EnumerateObject())
                {
                    if (key.Value.ValueKind != JsonValueKind.String)
                        return BadRequest($"filter: every value must be a string ({string.Join(", ", EventFilterParser.Keys)})");
                    pairs.Add(new(key.Name, key.Value.GetString()!));
                }
            }
            if (EventFilterParser.Parse(pairs, out var error) is not { } filter)
                return BadRequest("filter." + error);
            List<string>? handlers = null;
            if (root.TryGetProperty("handlers", out var handlersJson))
            {
                if (handlersJson.ValueKind != JsonValueKind.Array || handlersJson.EnumerateArray().Any(h => h.ValueKind != JsonValueKind.String))
                    return BadRequest("handlers must be an array of handler names");
                handlers = handlersJson.EnumerateArray().Select(h => h.GetString()!).ToList();
                if (handlers.Count == 0 || handlers.Any(h => catalog.Find(h) is null))
                    return BadRequest($"handlers must name configured handlers (known: {string.Join(", ", catalog.Names.Order(StringComparer.Ordinal))})");
            }
            var dryRun = false;
            if (root.TryGetProperty("dry_run", out var dryRunJson))
            {
                if (dryRunJson.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    return BadRequest("dry_run must be true or false");
                dryRun = dryRunJson.GetBoolean();
            }
            if (dryRun)
            {
                var count = await store.CountEventsAsync(filter, cancellationToken);
                return TypedResults.Json(new AdminBulkReplay(null, count), AdminJsonContext.Default.AdminBulkReplay);
            }
            // Who asked, for the audit record: the admin client's address (the key itself is never stored).
            var who = request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            var started = await store.StartReplayAsync(new ReplayRequest(filter, handlers, who), cancellationToken);
            wakeup.Signal.Set();
            return TypedResults.Json(new AdminBulkReplay(started.Id, started.Matched), AdminJsonContext.Default.AdminBulkReplay,
                statusCode: StatusCodes.Status202Accepted);
        }
    }

    static async Task<IResult> GetAsync(string id, IEventStore store, CancellationToken cancellationToken)
    {
        var progress = id.Length <= 64 && id.All(char.IsAsciiLetterOrDigit) ? await store.GetReplayAsync(id, cancellationToken) : null;
        return progress is null
            ? ProblemResponse.Result(StatusCodes.Status404NotFound, "No replay has this id.")
            : TypedResults.Json(new AdminBulkReplay(progress.Id, progress.Matched, progress.Enqueued, progress.Status,
                progress.RequestedBy, progress.CreatedAt),
                AdminJsonContext.Default.AdminBulkReplay);
    }

    static IResult BadRequest(string detail) => ProblemResponse.Result(StatusCodes.Status400BadRequest, detail);
}
