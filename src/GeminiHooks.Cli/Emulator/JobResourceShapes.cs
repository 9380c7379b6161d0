using System.Text.Json.Nodes;
using GeminiHooks.Cli.Events;

namespace GeminiHooks.Cli.Emulator;

/// <summary>The jobs as the Gemini API answers for them, in the shapes the official SDKs read.</summary>
internal static class JobResourceShapes
{
    const string BatchType = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch";

    /// <summary>A batch as <c>GET /{v}/batches/{id}</c> answers: a long-running operation with the batch as metadata.</summary>
    public static JsonObject BatchOperation(EmulatedJob job)
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
            ["@type"] = BatchType,
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
            metadata["output"] = job.InlineResponses is { } inline
                ? new JsonObject { ["inlinedResponses"] = new JsonObject { ["inlinedResponses"] = inline.DeepClone() } }
                : new JsonObject { ["responsesFile"] = BatchOutputFile(job) };
        else if (job.EndedWith == "batch.failed")
            operation["error"] = new JsonObject { ["code"] = 13, ["message"] = "The batch failed (emulated)." };
        else if (job.EndedWith == "batch.cancelled")
            operation["error"] = new JsonObject { ["code"] = 1, ["message"] = "Cancelled." };
        return operation;
    }

    /// <summary>The operation <c>:batchGenerateContent</c> answers: the batch pending.</summary>
    public static JsonObject CreatedBatch(EmulatedJob job, string displayName) => new()
    {
        ["name"] = job.Name,
        ["metadata"] = new JsonObject
        {
            ["@type"] = BatchType,
            ["name"] = job.Name,
            ["model"] = job.Model,
            ["displayName"] = displayName,
            ["state"] = "BATCH_STATE_PENDING",
            ["createTime"] = job.CreateTime,
            ["updateTime"] = job.CreateTime,
        },
    };

    /// <summary>A video generation as <c>GET /{v}/models/{model}/operations/{id}</c> answers.</summary>
    public static JsonObject VideoOperation(EmulatedJob job)
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
                        ["video"] = new JsonObject { ["uri"] = VideoUri(job) },
                    }),
                },
            };
        else if (job.EndedWith is not null)
            operation["error"] = new JsonObject { ["code"] = 13, ["message"] = "The generation failed (emulated)." };
        return operation;
    }

    /// <summary>
    /// An interaction as <c>GET /{v}/interactions/{id}</c> answers: its status from the event it ended with, and for a
    /// failure the SDKs' <c>errors[]</c> (<c>code</c>, <c>message</c>) with the values its <c>interaction.failed</c> carries.
    /// </summary>
    public static JsonObject Interaction(EmulatedJob job)
    {
        var interaction = new JsonObject
        {
            ["id"] = job.ShortId,
            ["object"] = "interaction",
            ["status"] = job.EndedWith is { } type ? type["interaction.".Length..] : "in_progress",
            ["model"] = job.Model,
            ["created"] = job.CreateTime,
        };
        if (job.EndedWith == "interaction.failed")
        {
            var sample = SampleEvents.Data("interaction.failed");
            interaction["errors"] = new JsonArray(new JsonObject { ["code"] = sample["error_code"]!.DeepClone(), ["message"] = sample["error_message"]!.DeepClone() });
        }
        return interaction;
    }

    /// <summary>
    /// The <c>data</c> of the event the job ends with: the type's sample, with the files the job's resource names, so
    /// the delivery and the resource a reconciler reads agree.
    /// </summary>
    public static JsonObject EventData(EmulatedJob job, string type)
    {
        var data = SampleEvents.Data(type);
        if (type == "batch.succeeded" && job.InlineResponses is null)
            data["output_file_uri"] = BatchOutputFile(job);
        else if (type == "batch.succeeded")
            data.Remove("output_file_uri");
        else if (type == "video.generated")
        {
            data["output_file_uri"] = VideoUri(job);
            data["file_name"] = "files/" + VideoFileId(job);
            data["file_id"] = VideoFileId(job);
            data["video_uri"] = VideoUri(job);
        }
        return data;
    }

    static string BatchOutputFile(EmulatedJob job) => $"files/{job.ShortId}-output";

    static string VideoFileId(EmulatedJob job) => job.ShortId + "-video";

    /// <summary>A Files API download URI, as the SDKs' generated samples carry; its host never resolves.</summary>
    static string VideoUri(EmulatedJob job) => $"https://emulator.invalid/v1beta/files/{VideoFileId(job)}:download?alt=media";
}
