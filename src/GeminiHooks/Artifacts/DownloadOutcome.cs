namespace GeminiHooks.Artifacts;

/// <summary>How one download try ended. <see cref="Error"/> says why it did not complete.</summary>
internal sealed record DownloadOutcome(bool Complete, bool Expired, string? Error, long Bytes, string? Sha256)
{
    public static DownloadOutcome Done(long bytes, string sha256) => new(true, false, null, bytes, sha256);

    public static DownloadOutcome Gone(string error) => new(false, true, error, 0, null);

    public static DownloadOutcome Retry(string error, long bytes) => new(false, false, error, bytes, null);
}
