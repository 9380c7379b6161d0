using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Events;
using GeminiHooks.Cli.Signing;
using GeminiHooks.Cli.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using static GeminiHooks.Cli.Emulator.ApiRequests;
using static GeminiHooks.Cli.Emulator.GoogleErrors;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// A local stand-in for Gemini on 127.0.0.1: the WebhookService API and the job-creation and job-read calls under /v1 and
/// /v1beta (so the official SDKs can register webhooks and create jobs), a JWKS of its own keys, and the emulator's own
/// controls (<c>/emulator/...</c>) to finish jobs and fire events, signed as Gemini signs them and retried per the chosen
/// schedule. Only local programs drive it (<see cref="LocalRequestGuard"/>).
/// </summary>
internal sealed class EmulatorHost : IAsyncDisposable
{
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
                app => Map(app, options, keys, registry, engine, log), cancellationToken);
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

    static void Map(WebApplication app, EmulatorOptions options, EmulatorKeys keys, WebhookRegistry registry, DeliveryEngine engine, TextWriter log)
    {
        app.UseLocalRequestGuard();
        app.MapGet("/.well-known/jwks.json", () => Results.Text(keys.Jwks, "application/json"));

        // The Gemini API under each version the SDKs use: every Gemini-shaped endpoint is mapped in these groups, and only there.
        var jobs = new JobRegistry();
        var files = new EmulatedFiles();
        foreach (var version in EmulatorOptions.ApiVersions)
        {
            var group = app.MapGroup("/" + version).RequireApiKey(options, log);
            ManagementApi.Map(group, options, registry, engine, log);
            JobsApi.Map(group, options, jobs);
            FilesApi.Map(group, version, files);
            FilesApi.MapMediaRoute(app.MapGroup("/download/" + version).RequireApiKey(options, log), files);
        }
        // Anything else under a version-like first segment gets Google's 404 (the slim host has no regex route constraints).
        app.Map("/{version}/{**rest}", (string version, HttpRequest request) =>
            EmulatorOptions.ApiVersions.Contains(version) || !version.StartsWith('v')
                ? NotFound($"The emulator does not implement {request.Method} {request.Path}.")
                : NotFound($"API version '{version}' is not served here; use {string.Join(" or ", EmulatorOptions.ApiVersions)}."));

        JobsApi.MapControls(app, options, keys, engine, jobs, files);
        FilesApi.MapControls(app, files);

        app.MapPost("/emulator/trigger", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            if (body is null || Text(body["type"]) is not { Length: > 0 } type)
                return InvalidArgument("Send {\"type\": \"batch.succeeded\", \"data\": {...}} (data optional), plus \"uri\" for an ad-hoc dynamic delivery.");
            var data = body["data"] is JsonObject given ? (JsonObject)given.DeepClone() : SampleEvents.Data(type);
            var userMetadata = body["user_metadata"] as JsonObject;
            List<DeliveryRecord> deliveries = [];
            if (body["uri"] is not null)
            {
                var uri = ValidUri(body["uri"]);
                if (uri is null)
                    return InvalidArgument("uri must be an absolute http(s) URL.");
                var format = Text(body["format"]) ?? "v1a";
                IDeliverySigner? signer = format switch
                {
                    "jwt" => new JwtSigner(keys.Rsa.RsaSecurityKey!, Text(body["issuer"]) ?? options.Issuer, Text(body["audience"]) ?? uri),
                    "v1a" => new V1aSigner(keys.Ed25519.Ed25519!),
                    _ => null,
                };
                if (signer is null)
                    return InvalidArgument("format must be jwt or v1a.");
                var payload = Envelope(type, data, options, (JsonObject?)userMetadata?.DeepClone());
                deliveries.Add(engine.EnqueueDynamic(uri, type, payload, format, signer));
            }
            else
            {
                deliveries.AddRange(engine.EnqueueToSubscribers(type, Envelope(type, data, options, (JsonObject?)userMetadata?.DeepClone())));
            }
            return Results.Json(new { deliveries = deliveries.Select(Describe) }, CliJson.Snake);
        });

        app.MapPost("/emulator/faults", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            var status = body?["status"] is JsonValue s && s.TryGetValue<int>(out var code) ? code : 0;
            var count = body?["count"] is JsonValue c && c.TryGetValue<int>(out var n) ? n : 0;
            var retryAfter = body?["retry_after_seconds"] is JsonValue r && r.TryGetValue<int>(out var seconds) ? seconds : 0;
            if (status is not (429 or 500 or 503) || count is < 0 or > 10_000 || retryAfter is < 0 or > 3600)
                return InvalidArgument("Send {\"status\": 429|500|503, \"count\": 0-10000, \"retry_after_seconds\": 0-3600 (429 only)}.");
            options.Faults.Arm(status, count, retryAfter);
            return Results.Json(new { status, count, retry_after_seconds = retryAfter });
        });
        app.MapGet("/emulator/stats", () => Results.Json(new { requests = options.Faults.Requests }));

        // Assumption: when and why Gemini disables a webhook is not documented; a test forces the state it wants.
        app.MapPost("/emulator/webhooks/{id}/state", async (string id, HttpRequest request, CancellationToken ct) =>
        {
            var state = Text((await ReadObjectAsync(request, ct))?["state"]);
            if (state is not (WebhookStates.Enabled or WebhookStates.Disabled or WebhookStates.DisabledDueToFailedDeliveries))
                return InvalidArgument($"state is {WebhookStates.Enabled}, {WebhookStates.Disabled} or {WebhookStates.DisabledDueToFailedDeliveries}.");
            return registry.Update(id, null, false, null, null, state) is { } updated
                ? Results.Json(updated, CliJson.Snake)
                : NotFound($"No webhook '{id}'.");
        });

        app.MapGet("/emulator/deliveries", () =>
            Results.Json(new { deliveries = engine.Records.Select(Describe) }, CliJson.Snake));
        app.MapGet("/emulator/deliveries/{id}", (string id) =>
            engine.Find(id) is { } record ? Results.Json(Describe(record), CliJson.Snake) : NotFound($"No delivery '{id}'."));
    }

    static object Describe(DeliveryRecord r) => new { r.Id, r.Type, r.Uri, r.Webhook, r.Format, r.State, r.NextAttemptTime, r.Attempts };
}
