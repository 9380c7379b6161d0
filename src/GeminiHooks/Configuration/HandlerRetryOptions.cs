namespace GeminiHooks.Configuration;

/// <summary>
/// One handler's retry schedule (<c>Handlers:&lt;name&gt;:Retry</c>); each value left unset takes the global
/// <c>Dispatch</c> one, so a handler only names what differs.
/// </summary>
public sealed class HandlerRetryOptions
{
    /// <summary>Attempts before a pair of this handler is dead-lettered; default <c>Dispatch:MaxAttempts</c>.</summary>
    public int? MaxAttempts { get; set; }

    /// <summary>Wait after the first failure, doubling per attempt; default <c>Dispatch:RetryBaseDelay</c>.</summary>
    public TimeSpan? BaseDelay { get; set; }

    /// <summary>Longest wait between two attempts (also caps a downstream's Retry-After); default <c>Dispatch:RetryMaxDelay</c>.</summary>
    public TimeSpan? MaxDelay { get; set; }
}
