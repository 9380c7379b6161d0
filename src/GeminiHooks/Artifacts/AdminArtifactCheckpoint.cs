namespace GeminiHooks.Artifacts;

/// <summary>A result handler's progress through a responses file.</summary>
internal sealed record AdminArtifactCheckpoint(string Handler, long Lines, bool Done, string? LastError);
