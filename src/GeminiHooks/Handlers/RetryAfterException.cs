namespace GeminiHooks.Handlers;

/// <summary>
/// Thrown by a handler whose downstream said when to come back (an HTTP 429 or 503 with <c>Retry-After</c>, a broker's
/// back-pressure): the run counts as failed, and the next attempt is not before <see cref="RetryAfter"/> from now (nor
/// before the usual backoff), capped by the handler's <c>Retry:MaxDelay</c>. The built-in <c>http</c> and <c>slack</c>
/// handlers throw it themselves.
/// </summary>
public sealed class RetryAfterException : Exception
{
    public RetryAfterException() : this(TimeSpan.Zero) { }

    public RetryAfterException(string message) : this(TimeSpan.Zero, message) { }

    public RetryAfterException(string message, Exception innerException) : this(TimeSpan.Zero, message, innerException) { }

    public RetryAfterException(TimeSpan retryAfter, string? message = null, Exception? innerException = null)
        : base(message ?? $"The downstream asked to retry after {retryAfter}", innerException) =>
        RetryAfter = retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter;

    /// <summary>How long from now the downstream asked to be left alone (never negative).</summary>
    public TimeSpan RetryAfter { get; }
}
