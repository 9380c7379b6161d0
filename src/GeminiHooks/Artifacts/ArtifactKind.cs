namespace GeminiHooks.Artifacts;

/// <summary>What an artifact holds.</summary>
internal static class ArtifactKind
{
    /// <summary>A batch's responses: JSONL, one response or error per request, each with its <c>key</c>.</summary>
    public const string Responses = "responses";

    public const string Video = "video";
}
