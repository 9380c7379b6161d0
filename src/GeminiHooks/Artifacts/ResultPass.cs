namespace GeminiHooks.Artifacts;

/// <summary>A stored responses file a result handler is to read, from line <see cref="Line"/> + 1 on (its checkpoint).</summary>
internal sealed record ResultPass(ArtifactRecord Artifact, string Handler, long Line);
