namespace GeminiHooks.Artifacts;

/// <summary>The answer of <c>GET /admin/artifacts</c>.</summary>
internal sealed record AdminArtifactList(IReadOnlyList<AdminArtifact> Artifacts);
