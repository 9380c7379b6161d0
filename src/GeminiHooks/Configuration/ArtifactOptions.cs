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

    /// <summary>
    /// How long after its event an artifact may stay not stored before <c>geminihooks_artifacts_overdue</c> counts it
    /// (Gemini keeps files about 48 hours: the default leaves a day to react).
    /// </summary>
    public TimeSpan StoredWithin { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Downloads run at once in this process.</summary>
    public int Concurrency { get; set; } = 2;

    /// <summary>Tries of one artifact (resolve, download, store) before it is recorded <c>failed</c>.</summary>
    public int MaxAttempts { get; set; } = 30;

    /// <summary>First retry delay; doubled after each failed try up to <see cref="RetryMaxDelay"/>, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a download or a result handler's pass is held by one process before another may take it over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Result handlers save their progress after this many lines (and at the end of each file).</summary>
    public int CheckpointLines { get; set; } = 1000;
}
