namespace GeminiHooks.Configuration;

/// <summary>The <c>GeminiHooks:Artifacts</c> section: fetching batch outputs and videos before Gemini deletes them.</summary>
public sealed class ArtifactOptions
{
    /// <summary>Off by default; needs a Gemini API key (<c>GeminiHooks:Gemini:ApiKey</c>).</summary>
    public bool Enabled { get; set; }

    /// <summary><c>FileSystem</c> (default) or <c>S3</c>.</summary>
    public string Store { get; set; } = "FileSystem";

    /// <summary>The FileSystem store's folder; the local spool of downloads in progress lives beneath it as well.</summary>
    public string Path { get; set; } = "artifacts";

    public ArtifactS3Options S3 { get; set; } = new();
}
