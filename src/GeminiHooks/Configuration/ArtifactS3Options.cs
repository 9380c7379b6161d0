namespace GeminiHooks.Configuration;

/// <summary>
/// The <c>GeminiHooks:Artifacts:S3</c> section. Credentials come from the AWS SDK's usual chain (environment,
/// profile, instance role), never from this file.
/// </summary>
public sealed class ArtifactS3Options
{
    public string Bucket { get; set; } = "";

    /// <summary>Prepended to every object name, e.g. <c>gemini/</c>.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>An S3-compatible endpoint (MinIO, a local test server); empty for AWS itself.</summary>
    public string ServiceUrl { get; set; } = "";

    public string Region { get; set; } = "";

    /// <summary>Path-style addressing (<c>host/bucket/key</c>), which most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; set; }
}
