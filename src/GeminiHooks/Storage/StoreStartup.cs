namespace GeminiHooks.Storage;

/// <summary>
/// Whether the store's schema is in place. A server store (PostgreSQL) that cannot be reached at start does not stop
/// the service: it starts not ready, answers deliveries 503 with Retry-After, and becomes ready by itself once the
/// store answers.
/// </summary>
sealed class StoreStartup
{
    volatile bool _initialized;

    public bool Initialized => _initialized;

    internal void MarkInitialized() => _initialized = true;
}
