using System.Text.Json.Nodes;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// One job created at the emulator, with the URIs and <c>user_metadata</c> of its <c>webhook_config</c>: without URIs its
/// event goes to the registered webhooks. Once finished it holds the type of the event it ended with and when.
/// </summary>
internal sealed record EmulatedJob(string Name, JobKind Kind,
    IReadOnlyList<string> Uris, JsonObject? UserMetadata, string CreateTime,
    string? Model = null, string? EndedWith = null, string? EndTime = null, JsonArray? InlineResponses = null)
{
    /// <summary>The last segment of the name: the id a short <c>data.id</c> carries.</summary>
    public string ShortId => Name[(Name.LastIndexOf('/') + 1)..];

    /// <summary>The event a finish without a <c>type</c> ends the job with.</summary>
    public string DefaultEnding => Kind switch
    {
        JobKind.Batch => "batch.succeeded",
        JobKind.Video => "video.generated",
        _ => "interaction.completed",
    };

    /// <summary>Whether this kind of job can end with the event type.</summary>
    public bool CanEndWith(string type) => Kind switch
    {
        JobKind.Batch => type is "batch.succeeded" or "batch.failed" or "batch.expired" or "batch.cancelled",
        JobKind.Video => type is "video.generated" or "video.failed",
        _ => type.StartsWith("interaction.", StringComparison.Ordinal),
    };
}
