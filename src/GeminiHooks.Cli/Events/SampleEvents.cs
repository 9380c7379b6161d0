using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Events;

namespace GeminiHooks.Cli.Events;

/// <summary>Sample <c>data</c> with the fields Gemini's docs list for each type, and the envelope.</summary>
internal static class SampleEvents
{
    /// <summary>The subscribable types, shared with the library so help texts, the emulator and the receiver agree.</summary>
    public static IReadOnlyList<string> Catalog => GeminiEventTypes.Subscribable;

    public static string CatalogText => string.Join(", ", Catalog);

    /// <summary>
    /// Sample data for a type, with the fields of the current webhooks guide's table. The types no longer offered for
    /// subscription (the cancelled ones, batch.completed) keep a sample because a receiver must still read them; unknown
    /// types get just an id, since new types must be deliverable.
    /// </summary>
    public static JsonObject Data(string type) => type switch
    {
        "batch.succeeded" or "batch.completed" => new JsonObject
        {
            ["id"] = SampleBatch,
            ["output_file_uri"] = "files/batch-output-sample-001",
        },
        "batch.failed" => new JsonObject
        {
            ["id"] = SampleBatch,
            ["error_code"] = "INVALID_ARGUMENT",
            ["error_message"] = "Input file could not be parsed at line 3.",
        },
        "batch.cancelled" or "batch.expired" => new JsonObject { ["id"] = SampleBatch },
        // The guide lists only the id for these two; the outputs of an interaction are read from the interaction.
        "interaction.requires_action" or "interaction.completed" or "interaction.cancelled" => new JsonObject { ["id"] = SampleInteraction },
        "interaction.failed" => new JsonObject
        {
            ["id"] = SampleInteraction,
            ["error_code"] = "INTERNAL",
            ["error_message"] = "The model could not complete the interaction.",
        },
        "video.generated" => new JsonObject
        {
            ["id"] = SampleVideo,
            ["output_file_uri"] = SampleVideoUri,
            ["file_name"] = "files/sample-video-001",
            // The superseded guide's fields, which the cookbook still reads (video_uri): sent too, so both readers work.
            ["file_id"] = "sample-video-001",
            ["video_uri"] = SampleVideoUri,
        },
        _ => new JsonObject { ["id"] = "sample-001" },
    };

    const string SampleBatch = "batches/sample-batch-001";

    /// <summary>Interaction ids are bare (<c>v1_…</c>), as the SDKs and the interactions API show them.</summary>
    const string SampleInteraction = "v1_sample-interaction-001";

    /// <summary>A video generation is a long-running operation of its model, named as the SDKs return it.</summary>
    const string SampleVideo = "models/veo-3.0-generate-001/operations/sample-video-001";

    const string SampleVideoUri = "https://generativelanguage.googleapis.com/v1beta/files/sample-video-001:download?alt=media";

    /// <summary>The thin-payload envelope Gemini sends: type, version, ISO 8601 timestamp, data (plus optional user_metadata).</summary>
    public static JsonObject Envelope(string type, JsonObject data, DateTimeOffset time, JsonObject? userMetadata = null)
    {
        var envelope = new JsonObject
        {
            ["type"] = type,
            ["version"] = "v1",
            ["timestamp"] = CliJson.Rfc3339(time),
            ["data"] = data,
        };
        // Where Gemini puts user_metadata is undocumented; the emulator and the CLI put it at the top level.
        if (userMetadata is not null)
            envelope["user_metadata"] = userMetadata;
        return envelope;
    }

    /// <summary>A fresh Standard Webhooks message id.</summary>
    public static string NewWebhookId() =>
        "msg_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
}
