using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Events;
using GeminiHooks.Cli.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// One job created at the emulator, with the URIs of its dynamic <c>webhook_config</c> (none without one). Once finished
/// it holds the type of the event it ended with and when.
/// </summary>
internal sealed record EmulatedJob(string Name, string Kind, IReadOnlyList<string> Uris, JsonObject? UserMetadata, string CreateTime,
    string? Model = null, string? EndedWith = null, string? EndTime = null);

/// <summary>
/// The job-creation calls that take a dynamic <c>webhook_config</c> on the Gemini Developer API, so the whole
/// per-request loop runs locally: a batch (<c>POST /{v}/models/{model}:batchGenerateContent</c>, REST field
/// <c>batch.webhookConfig</c>), a video (<c>:predictLongRunning</c>, top-level <c>webhookConfig</c>) and an interaction
/// (<c>POST /{v}/interactions</c>, <c>webhook_config</c>). Jobs do no work: <c>POST /emulator/jobs/finish</c> ends the
/// job and fires its event at its URIs, <c>v1a</c>-signed with the emulator's Ed25519 key (the format live traffic
/// carries), with the job's <c>user_metadata</c> echoed in the envelope as Gemini does; <c>"webhook": "drop"</c> ends it
/// without a delivery, as a receiver that was down or a disabled webhook would see it. The jobs read back in the SDKs'
/// shapes (<c>GET /{v}/batches/{id}</c>, <c>/{v}/models/{model}/operations/{id}</c>, <c>/{v}/interactions/{id}</c>), so a
/// receiver can reconcile against the emulator.
/// </summary>
internal static class JobsApi
{
    public static void Map(WebApplication app, EmulatorOptions options, EmulatorKeys keys, DeliveryEngine engine)
    {
        var jobs = new ConcurrentDictionary<string, EmulatedJob>(StringComparer.Ordinal);
        var api = app.MapGroup("/{version}").RequireApiKey(options);

        api.MapPost("/models/{modelAndMethod}", async (string modelAndMethod, HttpRequest request, CancellationToken ct) =>
        {
            var colon = modelAndMethod.LastIndexOf(':');
            var model = colon > 0 ? modelAndMethod[..colon] : modelAndMethod;
            var method = colon > 0 ? modelAndMethod[(colon + 1)..] : "";
            if (method is not ("batchGenerateContent" or "predictLongRunning"))
                return Error(404, "NOT_FOUND", $"The emulator implements only :batchGenerateContent and :predictLongRunning on models (not '{method}').");
            var body = await ReadObjectAsync(request, ct);
            if (body is null)
                return Error(400, "INVALID_ARGUMENT", "The body must be a JSON object.");
            var now = CliJson.Rfc3339(options.Time.GetUtcNow());
            if (method == "batchGenerateContent")
            {
                var batch = body["batch"] as JsonObject;
                var (config, problem) = ReadConfig(batch, "batch.");
                if (problem is not null)
                    return Error(400, "INVALID_ARGUMENT", problem);
                var name = "batches/" + NewId();
                jobs[name] = new EmulatedJob(name, "batch", config?.Uris ?? [], config?.UserMetadata, now, "models/" + model);
                var metadata = new JsonObject
                {
                    ["@type"] = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
                    ["name"] = name,
                    ["model"] = "models/" + model,
                    ["displayName"] = Text(batch?["displayName"] ?? batch?["display_name"]) ?? name,
                    ["state"] = "BATCH_STATE_PENDING",
                    ["createTime"] = now,
                    ["updateTime"] = now,
                };
                return Results.Json(new JsonObject { ["name"] = name, ["metadata"] = metadata });
            }
            else
            {
                var (config, problem) = ReadConfig(body, "");
                if (problem is not null)
                    return Error(400, "INVALID_ARGUMENT", problem);
                var name = $"models/{model}/operations/{NewId()}";
                jobs[name] = new EmulatedJob(name, "video", config?.Uris ?? [], config?.UserMetadata, now, "models/" + model);
                return Results.Json(new JsonObject { ["name"] = name });
            }
        });

        api.MapPost("/interactions", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            if (body is null)
                return Error(400, "INVALID_ARGUMENT", "The body must be a JSON object.");
            var (config, problem) = ReadConfig(body, "");
            if (problem is not null)
                return Error(400, "INVALID_ARGUMENT", problem);
            var id = NewId();
            var now = CliJson.Rfc3339(options.Time.GetUtcNow());
            jobs["interactions/" + id] = new EmulatedJob("interactions/" + id, "interaction", config?.Uris ?? [], config?.UserMetadata, now,
                Text(body["model"]));
            return Results.Json(new JsonObject
            {
                ["id"] = id,
                ["object"] = "interaction",
                ["status"] = "in_progress",
                ["model"] = Text(body["model"]),
                ["created"] = now,
            });
        });

        api.MapGet("/batches", (int? pageSize, string? pageToken) =>
        {
            var size = Math.Clamp(pageSize ?? 50, 1, 1000);
            var start = 0;
            if (pageToken is not null && (!int.TryParse(pageToken, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out start) || start < 0))
                return Error(400, "INVALID_ARGUMENT", "pageToken is not one this emulator handed out.");
            var batches = jobs.Values.Where(j => j.Kind == "batch").OrderBy(j => j.CreateTime, StringComparer.Ordinal)
                .ThenBy(j => j.Name, StringComparer.Ordinal).ToList();
            var page = new JsonObject { ["operations"] = new JsonArray(batches.Skip(start).Take(size).Select(j => (JsonNode)BatchOperation(j)).ToArray()) };
            if (start + size < batches.Count)
                page["nextPageToken"] = (start + size).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(page);
        });
        api.MapGet("/batches/{id}", (string id) =>
            jobs.TryGetValue("batches/" + id, out var job) ? Results.Json(BatchOperation(job)) : Error(404, "NOT_FOUND", $"No batch 'batches/{id}'."));
        api.MapGet("/models/{model}/operations/{id}", (string model, string id) =>
            jobs.TryGetValue($"models/{model}/operations/{id}", out var job)
                ? Results.Json(VideoOperation(job))
                : Error(404, "NOT_FOUND", $"No operation 'models/{model}/operations/{id}'."));
        api.MapGet("/interactions/{id}", (string id) =>
            jobs.TryGetValue("interactions/" + id, out var job) ? Results.Json(Interaction(job)) : Error(404, "NOT_FOUND", $"No interaction '{id}'."));

        app.MapGet("/emulator/jobs", () => Results.Json(new { jobs = jobs.Values.OrderBy(j => j.CreateTime, StringComparer.Ordinal) }, CliJson.Snake));

        // Finishing a job fires its event at its webhook_config URIs, as Gemini does when the work is done.
        app.MapPost("/emulator/jobs/finish", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            var name = Text(body?["name"]);
            if (name is null)
                return Error(400, "INVALID_ARGUMENT", "Send {\"name\": \"batches/...\"} (the name the creation answered; interactions/<id> for an interaction), plus \"type\" optionally.");
            if (!jobs.TryGetValue(name, out var job))
                return Error(404, "NOT_FOUND", $"No job '{name}' was created at this emulator.");
            var type = Text(body!["type"]) ?? job.Kind switch
            {
                "batch" => "batch.succeeded",
                "video" => "video.generated",
                _ => "interaction.completed",
            };
            if (!EndsAs(job.Kind, type))
                return Error(400, "INVALID_ARGUMENT", $"A {job.Kind} cannot end with '{type}'.");
            var webhook = Text(body["webhook"]) ?? "deliver";
            var idForm = Text(body["id_form"]) ?? "full";
            var delaySeconds = body["delay_seconds"] is JsonValue d && d.TryGetValue<int>(out var seconds) ? seconds : 0;
            if (webhook is not ("deliver" or "drop" or "delay") || idForm is not ("full" or "short") ||
                (webhook == "delay") != (delaySeconds is >= 1 and <= 86_400))
                return Error(400, "INVALID_ARGUMENT",
                    "\"webhook\" is deliver, drop, or delay with \"delay_seconds\" 1-86400; \"id_form\" is full (batches/123) or short (123).");
            jobs[name] = job = job with { EndedWith = type, EndTime = CliJson.Rfc3339(options.Time.GetUtcNow()) };
            var data = body["data"] is JsonObject given ? (JsonObject)given.DeepClone() : SampleEvents.Data(type);
            // Whether Gemini sends batches/123 or 123 in data.id is not documented: both forms can be sent.
            data["id"] = idForm == "full" ? job.Name : job.Name[(job.Name.LastIndexOf('/') + 1)..];
            var signer = new V1aSigner(keys.Ed25519.Ed25519!);
            var deliveries = new List<DeliveryRecord>();
            foreach (var uri in webhook == "drop" ? [] : job.Uris)
            {
                var envelope = SampleEvents.Envelope(type, (JsonObject)data.DeepClone(), options.Time.GetUtcNow(),
                    (JsonObject?)job.UserMetadata?.DeepClone());
                deliveries.Add(engine.EnqueueDynamic(uri, type, Encoding.UTF8.GetBytes(envelope.ToJsonString()), "v1a", signer,
                    TimeSpan.FromSeconds(delaySeconds)));
            }
            return Results.Json(new { deliveries = deliveries.Select(r => new { r.Id, r.Type, r.Uri, r.Webhook, r.Format, r.State, r.Attempts }) }, CliJson.Snake);
        });
    }

    static bool EndsAs(string kind, string type) => kind switch
    {
        "batch" => type is "batch.succeeded" or "batch.failed" or "batch.expired" or "batch.cancelled",
        "video" => type is "video.generated" or "video.failed",
        _ => type.StartsWith("interaction.", StringComparison.Ordinal),
    };

    /// <summary>A batch as <c>GET /{v}/batches/{id}</c> answers: a long-running operation with the batch as metadata.</summary>
    static JsonObject BatchOperation(EmulatedJob job)
    {
        var state = job.EndedWith switch
        {
            null => "BATCH_STATE_RUNNING",
            "batch.succeeded" => "BATCH_STATE_SUCCEEDED",
            "batch.failed" => "BATCH_STATE_FAILED",
            "batch.expired" => "BATCH_STATE_EXPIRED",
            _ => "BATCH_STATE_CANCELLED",
        };
        var metadata = new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            ["name"] = job.Name,
            ["model"] = job.Model,
            ["state"] = state,
            ["createTime"] = job.CreateTime,
            ["updateTime"] = job.EndTime ?? job.CreateTime,
        };
        var operation = new JsonObject { ["name"] = job.Name, ["metadata"] = metadata, ["done"] = job.EndedWith is not null };
        if (job.EndTime is { } end)
            metadata["endTime"] = end;
        if (job.EndedWith == "batch.succeeded")
            metadata["output"] = new JsonObject { ["responsesFile"] = $"files/{job.Name[(job.Name.LastIndexOf('/') + 1)..]}-output" };
        else if (job.EndedWith == "batch.failed")
            operation["error"] = new JsonObject { ["code"] = 13, ["message"] = "The batch failed (emulated)." };
        else if (job.EndedWith == "batch.cancelled")
            operation["error"] = new JsonObject { ["code"] = 1, ["message"] = "Cancelled." };
        return operation;
    }

    /// <summary>A video generation as <c>GET /{v}/models/{model}/operations/{id}</c> answers.</summary>
    static JsonObject VideoOperation(EmulatedJob job)
    {
        var operation = new JsonObject { ["name"] = job.Name, ["done"] = job.EndedWith is not null };
        if (job.EndedWith == "video.generated")
            operation["response"] = new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                ["generateVideoResponse"] = new JsonObject
                {
                    ["generatedSamples"] = new JsonArray(new JsonObject
                    {
                        ["video"] = new JsonObject { ["uri"] = $"https://emulator.invalid/{job.Name}/video.mp4" },
                    }),
                },
            };
        else if (job.EndedWith is not null)
            operation["error"] = new JsonObject { ["code"] = 13, ["message"] = "The generation failed (emulated)." };
        return operation;
    }

    /// <summary>An interaction as <c>GET /{v}/interactions/{id}</c> answers: its status from the event it ended with.</summary>
    static JsonObject Interaction(EmulatedJob job) => new()
    {
        ["id"] = job.Name["interactions/".Length..],
        ["object"] = "interaction",
        ["status"] = job.EndedWith is { } type ? type["interaction.".Length..] : "in_progress",
        ["model"] = job.Model,
        ["created"] = job.CreateTime,
    };

    /// <summary>
    /// The <c>webhook_config</c> of <paramref name="parent"/>, under its REST (camelCase) or proto (snake_case) name:
    /// null when there is none, an error message when it is not usable.
    /// </summary>
    static ((List<string> Uris, JsonObject? UserMetadata)? Config, string? Problem) ReadConfig(JsonObject? parent, string path)
    {
        var node = parent?["webhookConfig"] ?? parent?["webhook_config"];
        if (node is null)
            return (null, null);
        if (node is not JsonObject config)
            return (null, $"{path}webhookConfig must be an object with uris and optional userMetadata.");
        if (config["uris"] is not JsonArray { Count: > 0 } array ||
            array.Any(u => Text(u) is not { } text || !Uri.TryCreate(text, UriKind.Absolute, out var parsed) ||
                           (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)))
            return (null, $"{path}webhookConfig.uris must list at least one absolute http(s) URL.");
        var metadataNode = config["userMetadata"] ?? config["user_metadata"];
        if (metadataNode is not null and not JsonObject)
            return (null, $"{path}webhookConfig.userMetadata must be an object.");
        return ((array.Select(u => Text(u)!).ToList(), (JsonObject?)metadataNode?.DeepClone()), null);
    }

    static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    static async Task<JsonObject?> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        try { return await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject; }
        catch (JsonException) { return null; }
    }

    static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    static IResult Error(int code, string status, string message) => ApiKeyFilter.GoogleError(code, status, message);
}
