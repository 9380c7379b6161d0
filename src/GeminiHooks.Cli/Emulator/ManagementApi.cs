using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Events;
using GeminiHooks.Cli.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static GeminiHooks.Cli.Emulator.ApiRequests;
using static GeminiHooks.Cli.Emulator.GoogleErrors;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// The WebhookService API under one API version's route group: <c>/webhooks</c>, <c>/webhooks/{id}</c>,
/// <c>:ping</c> and <c>:rotateSigningSecret</c>, with Gemini's resource shapes and Google's error shape.
/// </summary>
internal static class ManagementApi
{
    static readonly string[] MaskableFields = ["name", "uri", "subscribed_events", "state"];
    static readonly string[] SettableStates = [WebhookStates.Enabled, WebhookStates.Disabled];
    static readonly string[] RevocationValues = [RevocationBehaviors.After24h, RevocationBehaviors.Immediately, "revocation_behavior_unspecified"];

    public static void Map(RouteGroupBuilder version, EmulatorOptions options, WebhookRegistry registry, DeliveryEngine engine, TextWriter log)
    {
        var api = version.MapGroup("/webhooks");

        api.MapPost("", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            if (body is null)
                return InvalidArgument("The body must be a JSON object.");
            var uri = ValidUri(body["uri"]);
            if (uri is null)
                return InvalidArgument("uri is required and must be an absolute http(s) URL.");
            var (events, problem) = Events(body["subscribed_events"], options, log);
            if (problem is not null)
                return problem;
            return Results.Json(registry.Create(Text(body["name"]), uri, events!), CliJson.Snake);
        });

        api.MapGet("", (HttpRequest request) =>
        {
            int? pageSize = int.TryParse(request.Query["page_size"], out var size) ? size : null;
            try
            {
                var (page, next) = registry.List(pageSize, request.Query["page_token"].ToString());
                return Results.Json(new WebhookList(page, next), CliJson.Snake);
            }
            catch (ArgumentException e)
            {
                return InvalidArgument(e.Message);
            }
        });

        api.MapGet("/{id}", (string id) =>
            registry.Get(id) is { } webhook ? Results.Json(webhook, CliJson.Snake) : WebhookNotFound(id));

        api.MapPatch("/{id}", async (string id, HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct) ?? [];
            // With update_mask only the named fields change (camelCase accepted too); without it, the fields present.
            var mask = request.Query["update_mask"].ToString()
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(SnakeCase).ToHashSet(StringComparer.Ordinal);
            if (mask.FirstOrDefault(f => !MaskableFields.Contains(f)) is { } unknown)
                return InvalidArgument($"update_mask names an unknown or read-only field '{unknown}'.");
            bool Changes(string field) => mask.Count > 0 ? mask.Contains(field) : body.ContainsKey(field);

            string? uri = null;
            if (Changes("uri") && (uri = ValidUri(body["uri"])) is null)
                return InvalidArgument("uri must be an absolute http(s) URL.");
            List<string>? events = null;
            if (Changes("subscribed_events"))
            {
                (events, var problem) = Events(body["subscribed_events"], options, log);
                if (problem is not null)
                    return problem;
            }
            string? state = null;
            if (Changes("state") && (state = EnumValue("state", Text(body["state"]), SettableStates, log)) is null)
                return InvalidArgument("state can be set to enabled or disabled.");
            var updated = registry.Update(id, Text(body["name"]), Changes("name"), uri, events, state);
            return updated is null ? WebhookNotFound(id) : Results.Json(updated, CliJson.Snake);
        });

        api.MapDelete("/{id}", (string id) => registry.Delete(id) ? Results.Json(new JsonObject()) : WebhookNotFound(id));

        // Custom methods: POST /{version}/webhooks/{id}:ping and :rotateSigningSecret.
        api.MapPost("/{idAndMethod}", async (string idAndMethod, HttpRequest request, CancellationToken ct) =>
        {
            var colon = idAndMethod.LastIndexOf(':');
            if (colon <= 0)
                return NotFound($"Unknown method: POST {request.Path}. Use :ping or :rotateSigningSecret.");
            var id = idAndMethod[..colon];
            switch (idAndMethod[(colon + 1)..])
            {
                case "ping":
                {
                    if (registry.Get(id) is not { } webhook)
                        return WebhookNotFound(id);
                    // The body of a ping is an assumption (Gemini does not document it): see EmulatorOptions.PingType/PingData.
                    var data = options.PingData is { } custom ? (JsonObject)custom.DeepClone() : new JsonObject { ["webhook_id"] = id };
                    // A ping tests the endpoint; its failure does not count towards disabling the webhook.
                    engine.EnqueueStatic(id, webhook.Uri!, options.PingType, Envelope(options.PingType, data, options, null), disableOnFailure: false);
                    return Results.Json(new JsonObject());
                }
                case "rotateSigningSecret":
                {
                    var body = await ReadObjectAsync(request, ct) ?? [];
                    var given = Text(body["revocation_behavior"]);
                    var behavior = given is null ? RevocationBehaviors.After24h : EnumValue("revocation_behavior", given, RevocationValues, log);
                    if (behavior is null)
                        return InvalidArgument($"revocation_behavior must be {RevocationBehaviors.After24h} or {RevocationBehaviors.Immediately}.");
                    var secret = registry.Rotate(id, behavior == RevocationBehaviors.Immediately);
                    return secret is null ? WebhookNotFound(id) : Results.Json(new RotateResult(secret), CliJson.Snake);
                }
                default:
                    return NotFound($"Unknown method '{idAndMethod[(colon + 1)..]}'. Use :ping or :rotateSigningSecret.");
            }
        });
    }

    /// <summary>
    /// An enum value as the SDKs send it (lowercase). The docs' samples write some in uppercase
    /// (<c>REVOKE_PREVIOUS_SECRETS_AFTER_H24</c>); whether Gemini accepts that is unknown, so the emulator accepts it
    /// and warns. Null when the value is not one of <paramref name="allowed"/> in any case.
    /// </summary>
    static string? EnumValue(string field, string? value, IReadOnlyCollection<string> allowed, TextWriter log)
    {
        if (value is null)
            return null;
        if (allowed.Contains(value, StringComparer.Ordinal))
            return value;
        var lower = value.ToLowerInvariant();
        if (!allowed.Contains(lower, StringComparer.Ordinal))
            return null;
        log.WriteLine($"warning: {field} '{value}' accepted as '{lower}'; the SDKs send lowercase, and whether Gemini accepts uppercase is unknown.");
        return lower;
    }

    /// <summary>The subscribed events, checked against the subscribable catalog unless the emulator was told to allow any.</summary>
    static (List<string>? Events, IResult? Problem) Events(JsonNode? node, EmulatorOptions options, TextWriter log)
    {
        if (node is not JsonArray array || array.Count == 0 || !array.All(e => Text(e) is { Length: > 0 }))
            return (null, InvalidArgument("subscribed_events must list at least one event type."));
        var events = new List<string>();
        foreach (var given in array.Select(e => Text(e)!))
        {
            var type = options.AllowUnlistedEventTypes && !SampleEvents.Catalog.Contains(given.ToLowerInvariant(), StringComparer.Ordinal)
                ? given
                : EnumValue("subscribed_events", given, SampleEvents.Catalog, log);
            if (type is null)
                return (null, InvalidArgument(
                    $"subscribed_events: '{given}' is not a subscribable event type. Subscribable: {SampleEvents.CatalogText}. " +
                    "(geminihooks emulate --allow-unlisted-events accepts any name.)"));
            if (!events.Contains(type, StringComparer.Ordinal))
                events.Add(type);
        }
        return (events, null);
    }

    static string SnakeCase(string field) => JsonNamingPolicy.SnakeCaseLower.ConvertName(field);

    static IResult WebhookNotFound(string id) => NotFound($"Webhook '{id}' not found.");
}
