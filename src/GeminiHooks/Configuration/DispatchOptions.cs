namespace GeminiHooks.Configuration;

public sealed class DispatchOptions
{
    public bool Enabled { get; set; } = true;
    public int MaxAttempts { get; set; } = 10;
    /// <summary>
    /// Handler runs in flight at once, per process. 32 lets a cheap local handler (jsonl, log) keep up with ingest at
    /// thousands of events per second (with 4 it fell behind by tens of thousands); a downstream that cannot take 32
    /// concurrent requests wants a lower value.
    /// </summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>
    /// Most pairs one claim takes. They run Concurrency at a time, and each one's lease starts at the claim, so a pair
    /// may wait BatchSize / Concurrency handler runs for its turn: keep Lease well above that.
    /// </summary>
    public int BatchSize { get; set; } = 64;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How long a claimed (event, handler) pair belongs to one dispatcher before another may take it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest idle wait between two looks at the store, when no wake-up signal arrives.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
