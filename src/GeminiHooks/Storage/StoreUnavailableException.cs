namespace GeminiHooks.Storage;

/// <summary>The database cannot be reached, is full or timed out: the delivery should be retried later (503).</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException() { }
    public StoreUnavailableException(string message) : base(message) { }
    public StoreUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
