namespace GeminiHooks.Storage;

/// <summary>
/// The database refused this one write because of its data (PostgreSQL: a data exception or integrity violation).
/// Retrying cannot help, so it is not <see cref="StoreUnavailableException"/>: the receiver answers the delivery
/// with a 4xx ("the store cannot represent this delivery"). Only the refused delivery fails; the others committed
/// in the same batch are answered as usual.
/// </summary>
public sealed class StoreRejectedException : Exception
{
    public StoreRejectedException() { }
    public StoreRejectedException(string message) : base(message) { }
    public StoreRejectedException(string message, Exception innerException) : base(message, innerException) { }
}
