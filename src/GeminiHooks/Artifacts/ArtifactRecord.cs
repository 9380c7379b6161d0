namespace GeminiHooks.Artifacts;

/// <summary>
/// One artifact as the store keeps it: the output of one job (a batch's responses file, a video's file), where it
/// stands, and once stored where it is, its size and SHA-256 (lowercase hex).
/// </summary>
internal sealed record ArtifactRecord(
    long Id,
    string Family,
    string JobId,
    string Job,
    string Kind,
    string File,
    string Status,
    DateTimeOffset EventAt,
    long? Size,
    long BytesDone,
    string? Sha256,
    string? Location,
    DateTimeOffset? FetchedAt,
    DateTimeOffset? SourceExpiresAt,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError);
