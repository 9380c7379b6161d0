using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Events;
using GeminiHooks.Cli.Signing;
using GeminiHooks.Cli.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// A local stand-in for Gemini on 127.0.0.1: the WebhookService API (so the official SDKs can register webhooks),
/// a JWKS of its own keys, and <c>POST /emulator/trigger</c> to fire events signed and retried as Gemini does.
/// </summary>
internal sealed class EmulatorHost : IAsyncDisposable
{
    static readonly string[] MaskableFields = ["name", "uri", "subscribed_events", "state"];

    readonly WebApplication _app;
    readonly EmulatorKeys _keys;

    EmulatorHost(WebApplication app, Uri address, EmulatorKeys keys, WebhookRegistry registry, DeliveryEngine engine)
    {
        _app = app;
        _keys = keys;
        Address = address;
        Registry = registry;
        Engine = engine;
    }

    public Uri Address { get; }
    public WebhookRegistry Registry { get; }
    public DeliveryEngine Engine { get; }

    public static async Task<EmulatorHost> StartAsync(EmulatorOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var keys = new EmulatorKeys();
        var registry = new WebhookRegistry(options.Time);
        var engine = new DeliveryEngine(options, registry, log);
        try
        {
            var (app, address) = await LoopbackHost.StartAsync(options.Port, _ => { },
                app => Map(app, options, keys, registry, engine), cancellationToken);
            return new EmulatorHost(app, address, keys, registry, engine);
        }
        catch
        {
            await engine.DisposeAsync();
            keys.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await Engine.DisposeAsync();
        await _app.DisposeAsync();
        _keys.Dispose();
    }

    static void Map(WebApplication app, EmulatorOptions options, EmulatorKeys keys, WebhookRegistry registry, DeliveryEngine engine)
    {
        app.MapGet("/.well-known/jwks.json", () => Results.Text(keys.Jwks, "application/json"));

        // Any API version in the path: the SDKs send whatever they were configured with (v1beta by default).
        var api = app.MapGroup("/{version}/webhooks").AddEndpointFilter(async (context, next) =>
        {
            var request = context.HttpContext.Request;
            var key = request.Headers["x-goog-api-key"].ToString();
            if (key.Length == 0)
                key = request.Query["key"].ToString();
            if (key.Length == 0)
                return Error(401, "UNAUTHENTICATED", "Missing API key: send it in the x-goog-api-key header.");
            if (options.ApiKey is not null && key != options.ApiKey)
                return Error(403, "PERMISSION_DENIED", "API key not valid for this emulator (see its --api-key).");
            return await next(context);
        });

        api.MapPost("", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            if (body is null)
                return Error(400, "INVALID_ARGUMENT", "The body must be a JSON object.");
            var uri = ValidUri(body["uri"]);
            if (uri is null)
                return Error(400, "INVALID_ARGUMENT", "uri is required and must be an absolute http(s) URL.");
            var events = Events(body["subscribed_events"]);
            if (events is not { Count: > 0 })
                return Error(400, "INVALID_ARGUMENT", "subscribed_events must list at least one event type.");
            return Results.Json(registry.Create(Text(body["name"]), uri, events), CliJson.Snake);
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
                return Error(400, "INVALID_ARGUMENT", e.Message);
            }
        });

        api.MapGet("/{id}", (string id) =>
            registry.Get(id) is { } webhook ? Results.Json(webhook, CliJson.Snake) : NotFound(id));

        api.MapPatch("/{id}", async (string id, HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct) ?? [];
            // With update_mask only the named fields change (camelCase accepted too); without it, the fields present.
            var mask = request.Query["update_mask"].ToString()
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(SnakeCase).ToHashSet(StringComparer.Ordinal);
            if (mask.FirstOrDefault(f => !MaskableFields.Contains(f)) is { } unknown)
                return Error(400, "INVALID_ARGUMENT", $"update_mask names an unknown or read-only field '{unknown}'.");
            bool Changes(string field) => mask.Count > 0 ? mask.Contains(field) : body.ContainsKey(field);

            string? uri = null;
            if (Changes("uri") && (uri = ValidUri(body["uri"])) is null)
                return Error(400, "INVALID_ARGUMENT", "uri must be an absolute http(s) URL.");
            List<string>? events = null;
            if (Changes("subscribed_events") && (events = Events(body["subscribed_events"])) is not { Count: > 0 })
                return Error(400, "INVALID_ARGUMENT", "subscribed_events must list at least one event type.");
            string? state = null;
            if (Changes("state"))
            {
                state = Text(body["state"]);
                if (state is not (WebhookStates.Enabled or WebhookStates.Disabled))
                    return Error(400, "INVALID_ARGUMENT", "state can be set to enabled or disabled.");
            }
            var updated = registry.Update(id, Text(body["name"]), Changes("name"), uri, events, state);
            return updated is null ? NotFound(id) : Results.Json(updated, CliJson.Snake);
        });

        api.MapDelete("/{id}", (string id) => registry.Delete(id) ? Results.Json(new JsonObject()) : NotFound(id));

        // Custom methods: POST /{version}/webhooks/{id}:ping and :rotateSigningSecret.
        api.MapPost("/{idAndMethod}", async (string idAndMethod, HttpRequest request, CancellationToken ct) =>
        {
            var colon = idAndMethod.LastIndexOf(':');
            if (colon <= 0)
                return Error(404, "NOT_FOUND", $"Unknown method: POST {request.Path}. Use :ping or :rotateSigningSecret.");
            var id = idAndMethod[..colon];
            switch (idAndMethod[(colon + 1)..])
            {
                case "ping":
                {
                    if (registry.Get(id) is not { } webhook)
                        return NotFound(id);
                    var body = Envelope("webhook.ping", new JsonObject { ["webhook_id"] = id }, options, null);
                    // A ping tests the endpoint; its failure does not disable the webhook.
                    engine.EnqueueStatic(id, webhook.Uri!, "webhook.ping", body, disableOnFailure: false);
                    return Results.Json(new JsonObject());
                }
                case "rotateSigningSecret":
                {
                    var body = await ReadObjectAsync(request, ct) ?? [];
                    var behavior = Text(body["revocation_behavior"]) ?? RevocationBehaviors.After24h;
                    if (behavior is not (RevocationBehaviors.After24h or RevocationBehaviors.Immediately or "revocation_behavior_unspecified"))
                        return Error(400, "INVALID_ARGUMENT", $"revocation_behavior must be {RevocationBehaviors.After24h} or {RevocationBehaviors.Immediately}.");
                    var secret = registry.Rotate(id, behavior == RevocationBehaviors.Immediately);
                    return secret is null ? NotFound(id) : Results.Json(new RotateResult(secret), CliJson.Snake);
                }
                default:
                    return Error(404, "NOT_FOUND", $"Unknown method '{idAndMethod[(colon + 1)..]}'. Use :ping or :rotateSigningSecret.");
            }
        });

        JobsApi.Map(app, options, keys, engine);

        app.MapPost("/emulator/trigger", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            if (body is null || Text(body["type"]) is not { Length: > 0 } type)
                return Error(400, "INVALID_ARGUMENT", "Send {\"type\": \"batch.succeeded\", \"data\": {...}} (data optional), plus \"uri\" for an ad-hoc dynamic delivery.");
            var data = body["data"] is JsonObject given ? (JsonObject)given.DeepClone() : SampleEvents.Data(type);
            var userMetadata = body["user_metadata"] as JsonObject;
            List<DeliveryRecord> deliveries = [];
            if (body["uri"] is not null)
            {
                var uri = ValidUri(body["uri"]);
                if (uri is null)
                    return Error(400, "INVALID_ARGUMENT", "uri must be an absolute http(s) URL.");
                var format = Text(body["format"]) ?? "v1a";
                IDeliverySigner? signer = format switch
                {
                    "jwt" => new JwtSigner(keys.Rsa.RsaSecurityKey!, Text(body["issuer"]) ?? options.Issuer, Text(body["audience"]) ?? uri),
                    "v1a" => new V1aSigner(keys.Ed25519.Ed25519!),
                    _ => null,
                };
                if (signer is null)
                    return Error(400, "INVALID_ARGUMENT", "format must be jwt or v1a.");
                var payload = Envelope(type, data, options, (JsonObject?)userMetadata?.DeepClone());
                deliveries.Add(engine.EnqueueDynamic(uri, type, payload, format, signer));
            }
            else
            {
                foreach (var (id, uri) in registry.Subscribers(type))
                    deliveries.Add(engine.EnqueueStatic(id, uri, type, Envelope(type, (JsonObject)data.DeepClone(), options, null), disableOnFailure: true));
            }
            return Results.Json(new { deliveries = deliveries.Select(Describe) }, CliJson.Snake);
        });

        app.MapGet("/emulator/deliveries", () =>
            Results.Json(new { deliveries = engine.Records.Select(Describe) }, CliJson.Snake));
        app.MapGet("/emulator/deliveries/{id}", (string id) =>
            engine.Find(id) is { } record ? Results.Json(Describe(record), CliJson.Snake) : Error(404, "NOT_FOUND", $"No delivery '{id}'."));
    }

    static object Describe(DeliveryRecord r) => new { r.Id, r.Type, r.Uri, r.Webhook, r.Format, r.State, r.Attempts };

    static byte[] Envelope(string type, JsonObject data, EmulatorOptions options, JsonObject? userMetadata) =>
        Encoding.UTF8.GetBytes(SampleEvents.Envelope(type, data, options.Time.GetUtcNow(), userMetadata).ToJsonString());

    static async Task<JsonObject?> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    static string? ValidUri(JsonNode? node) =>
        Text(node) is { } text && Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? text
            : null;

    static List<string>? Events(JsonNode? node) =>
        node is JsonArray array && array.All(e => Text(e) is { Length: > 0 }) ? array.Select(e => Text(e)!).Distinct(StringComparer.Ordinal).ToList() : null;

    static string SnakeCase(string field) => JsonNamingPolicy.SnakeCaseLower.ConvertName(field);

    static IResult NotFound(string id) => Error(404, "NOT_FOUND", $"Webhook '{id}' not found.");

    /// <summary>Google's error shape, so SDKs surface the message.</summary>
    static IResult Error(int code, string status, string message) =>
        Results.Json(new { error = new { code, message, status } }, statusCode: code);
}
