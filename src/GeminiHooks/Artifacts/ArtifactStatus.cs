namespace GeminiHooks.Artifacts;

/// <summary>Where an artifact stands; <see cref="Stored"/>, <see cref="Expired"/> and <see cref="Failed"/> are final.</summary>
internal static class ArtifactStatus
{
    public const string Pending = "pending";
    public const string Downloading = "downloading";
    public const string Stored = "stored";

    /// <summary>Gone at the source (404) before it was stored: counted, logged, never tried again.</summary>
    public const string Expired = "expired";

    /// <summary>Every try failed (<c>Artifacts:MaxAttempts</c>).</summary>
    public const string Failed = "failed";

    public static readonly string[] All = [Pending, Downloading, Stored, Expired, Failed];
}
