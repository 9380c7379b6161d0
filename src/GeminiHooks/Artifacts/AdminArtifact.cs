namespace GeminiHooks.Artifacts;

/// <summary>An artifact as <c>/admin/artifacts</c> shows it; <see cref="Checkpoints"/> only on the one-artifact read.</summary>
internal sealed record AdminArtifact(string Job, string Family, string Kind, string File, string Status, DateTimeOffset EventAt,
    long? Size, long BytesDone, string? Sha256, string? Location, DateTimeOffset? FetchedAt, DateTimeOffset? SourceExpiresAt,
    int Attempts, DateTimeOffset NextAttemptAt, string? LastError, IReadOnlyList<AdminArtifactCheckpoint>? Checkpoints);
