using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static GeminiHooks.Cli.Emulator.ApiRequests;
using static GeminiHooks.Cli.Emulator.GoogleErrors;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// The job-creation calls of the Gemini Developer API, each taking an optional <c>webhook_config</c>: a batch
/// (<c>POST /{v}/models/{model}:batchGenerateContent</c>, REST field <c>batch.webhookConfig</c>), a video
/// (<c>:predictLongRunning</c>, top-level <c>webhookConfig</c>) and an interaction (<c>POST /{v}/interactions</c>,
/// <c>webhook_config</c>). Jobs do no work: <c>POST /emulator/jobs/finish</c> ends the job and fires its event as Gemini
/// does. A job whose config names <c>uris</c> goes to those URIs only, <c>v1a</c>-signed with the emulator's Ed25519 key
/// (the format live traffic carries); any other job (no config, or <c>user_metadata</c> alone) goes to every enabled
/// registered webhook subscribed to its type, <c>v1</c>-signed with each one's secrets. Either way the job's
/// <c>user_metadata</c> is echoed in the envelope. <c>"webhook": "drop"</c> ends it without a delivery, as a receiver that
/// was down or a disabled webhook would see it. The jobs read back in the SDKs' shapes (<see cref="JobResourceShapes"/>),
/// so a receiver can reconcile against the emulator.
/// </summary>
internal static class JobsApi
{
    /// <summary>The Gemini routes of the jobs, under one API version's route group.</summary>
    public static void Map(RouteGroupBuilder version, EmulatorOptions options, JobRegistry jobs)
    {
        version.MapPost("/models/{modelAndMethod}", async (string modelAndMethod, HttpRequest request, CancellationToken ct) =>
        {
            var colon = modelAndMethod.LastIndexOf(':');
            var model = colon > 0 ? modelAndMethod[..colon] : modelAndMethod;
            var method = colon > 0 ? modelAndMethod[(colon + 1)..] : "";
            if (method is not ("batchGenerateContent" or "predictLongRunning"))
                return NotFound($"The emulator implements only :batchGenerateContent and :predictLongRunning on models (not '{method}').");
            var body = await ReadObjectAsync(request, ct);
            if (body is null)
                return InvalidArgument("The body must be a JSON object.");
            var now = CliJson.Rfc3339(options.Time.GetUtcNow());
            if (method == "batchGenerateContent")
            {
                var batch = body["batch"] as JsonObject;
                var (config, problem) = ReadConfig(batch, "batch.");
                if (problem is not null)
                    return InvalidArgument(problem);
                var job = new EmulatedJob("batches/" + NewId(), JobKind.Batch, config?.Uris ?? [], config?.UserMetadata, now, "models/" + model);
                jobs.Add(job);
                return Results.Json(JobResourceShapes.CreatedBatch(job, Text(batch?["displayName"] ?? batch?["display_name"]) ?? job.Name));
            }
            else
            {
                var (config, problem) = ReadConfig(body, "");
                if (problem is not null)
                    return InvalidArgument(problem);
                var job = new EmulatedJob($"models/{model}/operations/{NewId()}", JobKind.Video, config?.Uris ?? [], config?.UserMetadata, now, "models/" + model);
                jobs.Add(job);
                return Results.Json(new JsonObject { ["name"] = job.Name });
            }
        });

        version.MapPost("/interactions", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            if (body is null)
                return InvalidArgument("The body must be a JSON object.");
            var (config, problem) = ReadConfig(body, "");
            if (problem is not null)
                return InvalidArgument(problem);
            // Interactions are named by a bare id (v1_…), with no collection prefix, in every answer.
            var job = new EmulatedJob(NewInteractionId(), JobKind.Interaction, config?.Uris ?? [], config?.UserMetadata,
                CliJson.Rfc3339(options.Time.GetUtcNow()), Text(body["model"]));
            jobs.Add(job);
            return Results.Json(JobResourceShapes.Interaction(job));
        });

        version.MapGet("/batches", (int? pageSize, string? pageToken) =>
        {
            var size = Math.Clamp(pageSize ?? 50, 1, 1000);
            var start = 0;
            if (pageToken is not null && (!int.TryParse(pageToken, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out start) || start < 0))
                return InvalidArgument("pageToken is not one this emulator handed out.");
            var batches = jobs.All(JobKind.Batch);
            var page = new JsonObject { ["operations"] = new JsonArray(batches.Skip(start).Take(size).Select(j => (JsonNode)JobResourceShapes.BatchOperation(j)).ToArray()) };
            if (start + size < batches.Count)
                page["nextPageToken"] = (start + size).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(page);
        });
        version.MapGet("/batches/{id}", (string id) =>
            jobs.Find("batches/" + id) is { } job ? Results.Json(JobResourceShapes.BatchOperation(job)) : NotFound($"No batch 'batches/{id}'."));
        version.MapGet("/models/{model}/operations/{id}", (string model, string id) =>
            jobs.Find($"models/{model}/operations/{id}") is { } job
                ? Results.Json(JobResourceShapes.VideoOperation(job))
                : NotFound($"No operation 'models/{model}/operations/{id}'."));
        version.MapGet("/interactions/{id}", (string id) =>
            jobs.Find(id) is { Kind: JobKind.Interaction } job ? Results.Json(JobResourceShapes.Interaction(job)) : NotFound($"No interaction '{id}'."));
    }

    /// <summary>The emulator's own job controls: list the jobs, and finish one (which fires its event).</summary>
    public static void MapControls(WebApplication app, EmulatorOptions options, EmulatorKeys keys, DeliveryEngine engine, JobRegistry jobs, EmulatedFiles files)
    {
        app.MapGet("/emulator/jobs", () => Results.Json(new { jobs = jobs.All() }, CliJson.Snake));

        // Finishing a job fires its event, as Gemini does when the work is done.
        app.MapPost("/emulator/jobs/finish", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            var name = Text(body?["name"]);
            if (name is null)
                return InvalidArgument("Send {\"name\": \"batches/...\"} (the name the creation answered; the bare id for an interaction), plus \"type\" optionally.");
            if (jobs.Find(name) is not { } job)
                return NotFound($"No job '{name}' was created at this emulator.");
            var type = Text(body!["type"]) ?? job.DefaultEnding;
            if (!job.CanEndWith(type))
                return InvalidArgument($"A {job.Kind.ToString().ToLowerInvariant()} cannot end with '{type}'.");
            var webhook = Text(body["webhook"]) ?? "deliver";
            var idForm = Text(body["id_form"]) ?? "full";
            var delaySeconds = body["delay_seconds"] is JsonValue d && d.TryGetValue<int>(out var seconds) ? seconds : 0;
            if (webhook is not ("deliver" or "drop" or "delay") || idForm is not ("full" or "short") ||
                (webhook == "delay") != (delaySeconds is >= 1 and <= 86_400))
                return InvalidArgument("\"webhook\" is deliver, drop, or delay with \"delay_seconds\" 1-86400; \"id_form\" is full (batches/123) or short (123).");
            // The files the job leaves (responses, a video) exist before its event goes out, as at Gemini.
            var (outputs, outputProblem) = JobOutputs.Read(body, type);
            if (outputs is null)
                return InvalidArgument(outputProblem!);
            job = jobs.Finish(name, type, CliJson.Rfc3339(options.Time.GetUtcNow()))!;
            job = outputs.Publish(job, type, files, jobs, options.Time.GetUtcNow());
            var data = body["data"] is JsonObject given ? (JsonObject)given.DeepClone() : JobResourceShapes.EventData(job, type);
            // Whether Gemini sends batches/123 or 123 in data.id is not documented: both forms can be sent.
            data["id"] = idForm == "full" ? job.Name : job.ShortId;
            var payload = Envelope(type, data, options, (JsonObject?)job.UserMetadata?.DeepClone());
            var delay = TimeSpan.FromSeconds(delaySeconds);
            // A job with uris bypasses the registered webhooks; any other reaches every registered webhook subscribed to its type.
            var deliveries =
                webhook == "drop" ? (IReadOnlyList<DeliveryRecord>)[] :
                job.Uris.Count > 0 ? job.Uris.Select(uri => engine.EnqueueDynamic(uri, type, payload, "v1a", new V1aSigner(keys.Ed25519.Ed25519!), delay)).ToList() :
                engine.EnqueueToSubscribers(type, payload, delay);
            return Results.Json(new { deliveries = deliveries.Select(r => new { r.Id, r.Type, r.Uri, r.Webhook, r.Format, r.State, r.Attempts }) }, CliJson.Snake);
        });
    }

    /// <summary>An interaction id as the API forms one: <c>v1_</c> and base64url characters (an assumption beyond the prefix).</summary>
    static string NewInteractionId() => "v1_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));

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
            return (null, $"{path}webhookConfig must be an object with uris and/or userMetadata.");
        // uris is optional: a config with user_metadata alone goes to the registered webhooks with the metadata echoed.
        var urisNode = config["uris"];
        if (urisNode is not null and not JsonArray || urisNode is JsonArray given && given.Any(u => ValidUri(u) is null))
            return (null, $"{path}webhookConfig.uris must list absolute http(s) URLs.");
        var array = urisNode as JsonArray ?? [];
        var metadataNode = config["userMetadata"] ?? config["user_metadata"];
        if (metadataNode is not null and not JsonObject)
            return (null, $"{path}webhookConfig.userMetadata must be an object.");
        return ((array.Select(u => Text(u)!).ToList(), (JsonObject?)metadataNode?.DeepClone()), null);
    }
}
