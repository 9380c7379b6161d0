namespace GeminiHooks.Artifacts;

/// <summary>An artifact to fetch, as its event names it: <paramref name="File"/> is empty when the job must be read first.</summary>
internal sealed record ArtifactRequest(string Family, string JobId, string Job, string Kind, string File, DateTimeOffset EventAt);
