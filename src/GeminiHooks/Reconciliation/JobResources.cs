using System.Text.Json.Nodes;
using GeminiHooks.Events;

namespace GeminiHooks.Reconciliation;

/// <summary>
/// Reads the job resources of the three families into the event Gemini would have sent. The shapes follow the official
/// SDKs (python-genai, js-genai) and the API reference; the event data carries the same fields the deliveries carry.
/// </summary>
internal static class JobResources
{
    public static JobReading Read(string family, string name, JsonObject resource) => family switch
    {
        JobFamily.Batch => ReadBatch(name, resource),
        JobFamily.Video => ReadVideo(name, resource),
        _ => ReadInteraction(name, resource),
    };

    static JobReading ReadBatch(string name, JsonObject op)
    {
        var metadata = op["metadata"] as JsonObject;
        // The REST API says BATCH_STATE_*; the SDKs rename these JOB_STATE_*: both are read.
        var state = Text(metadata?["state"]) ?? Text(op["state"]) ?? "";
        var suffix = state.Replace("BATCH_STATE_", "", StringComparison.Ordinal).Replace("JOB_STATE_", "", StringComparison.Ordinal);
        var done = op["done"] is JsonValue d && d.TryGetValue<bool>(out var isDone) && isDone;
        var error = op["error"] as JsonObject;
        var data = new JsonObject { ["id"] = name };
        switch (suffix)
        {
            case "SUCCEEDED":
                var output = metadata?["output"] as JsonObject;
                if (Text(output?["responsesFile"]) is { } file)
                    data["output_file_uri"] = file;
                return new JobReading(true, state, GeminiEventTypes.BatchSucceeded, data);
            case "FAILED":
                AddError(data, error);
                return new JobReading(true, state, GeminiEventTypes.BatchFailed, data);
            case "EXPIRED":
                return new JobReading(true, state, GeminiEventTypes.BatchExpired, data);
            case "CANCELLED":
                // batch.cancelled is no longer offered for subscription: no event is invented for it.
                return new JobReading(true, state, null, null);
        }
        if (done)
        {
            // Done without a state: cancel leaves error.code = 1; any other error is a failure.
            if (error is null)
                return new JobReading(true, "done", GeminiEventTypes.BatchSucceeded, data);
            if (Code(error) == 1)
                return new JobReading(true, "cancelled", null, null);
            AddError(data, error);
            return new JobReading(true, "error", GeminiEventTypes.BatchFailed, data);
        }
        return new JobReading(false, state.Length == 0 ? "unknown" : state, null, null);
    }

    static JobReading ReadVideo(string name, JsonObject op)
    {
        var done = op["done"] is JsonValue d && d.TryGetValue<bool>(out var isDone) && isDone;
        if (!done)
            return new JobReading(false, "running", null, null);
        if (op["error"] is JsonObject)
            return new JobReading(true, "error", null, null); // Gemini has no video failure event
        // The guide's fields (id, output_file_uri, file_name), and the superseded guide's video_uri and file_id, which the
        // cookbook still reads: a reader of either shape finds what it expects.
        var data = new JsonObject { ["id"] = name };
        var sample = (op["response"]?["generateVideoResponse"]?["generatedSamples"] as JsonArray)?.FirstOrDefault();
        if (Text(sample?["video"]?["uri"]) is { } uri)
        {
            data["output_file_uri"] = uri;
            if (FileName(uri) is { } file)
            {
                data["file_name"] = file;
                data["file_id"] = file["files/".Length..];
            }
            data["video_uri"] = uri;
        }
        return new JobReading(true, "done", GeminiEventTypes.VideoGenerated, data);
    }

    /// <summary><c>files/abc</c> from a Files API download URI (<c>…/files/abc:download?alt=media</c>); null for any other URI.</summary>
    static string? FileName(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed))
            return null;
        var segments = parsed.AbsolutePath.Split('/');
        var at = Array.LastIndexOf(segments, "files");
        if (at < 0 || at + 1 >= segments.Length)
            return null;
        var id = segments[at + 1].Split(':')[0];
        return JobNames.IsApiId(id) ? "files/" + id : null;
    }

    static JobReading ReadInteraction(string name, JsonObject interaction)
    {
        var status = Text(interaction["status"]) ?? "unknown";
        // Interaction ids are bare (v1_…) in deliveries, whatever path the job was tracked under.
        var data = new JsonObject { ["id"] = Text(interaction["id"]) ?? JobNames.Normalize(name) };
        switch (status)
        {
            case "completed":
                // The guide's interaction.completed carries only the id; outputs are no longer part of the SDK types.
                return new JobReading(true, status, GeminiEventTypes.InteractionCompleted, data);
            case "failed":
                // The SDKs' Interaction has errors[] ({code, message}); a single error object is read as well.
                AddError(data, (interaction["errors"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault() ?? interaction["error"] as JsonObject);
                return new JobReading(true, status, GeminiEventTypes.InteractionFailed, data);
            case "cancelled" or "incomplete" or "budget_exceeded":
                return new JobReading(true, status, null, null);
            default:
                // in_progress, requires_action (recurs; never synthesized), queued, or a status this build does not know.
                return new JobReading(false, status, null, null);
        }
    }

    static void AddError(JsonObject data, JsonObject? error)
    {
        if (error is null)
            return;
        if (Text(error["status"]) is { } status)
            data["error_code"] = status;
        else if (Text(error["code"]) is { } text)
            data["error_code"] = text;
        else if (error["code"] is JsonValue code)
            data["error_code"] = code.ToJsonString();
        if (Text(error["message"]) is { } message)
            data["error_message"] = message;
    }

    static int? Code(JsonObject error) => error["code"] is JsonValue v && v.TryGetValue<int>(out var code) ? code : null;

    static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
