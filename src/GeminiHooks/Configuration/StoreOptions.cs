namespace GeminiHooks.Configuration;

public sealed class StoreOptions
{
    public string Provider { get; set; } = "Sqlite";
    public string ConnectionString { get; set; } = "Data Source=data/geminihooks.db";

    /// <summary>Concurrent deliveries share one transaction and one sync (docs/storage.md).</summary>
    public bool GroupCommit { get; set; } = true;

    /// <summary>Most deliveries committed together.</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>Retry-After sent with a 503 when the store cannot be reached.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(10);
}
