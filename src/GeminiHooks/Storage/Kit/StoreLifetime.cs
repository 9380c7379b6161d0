namespace GeminiHooks.Storage.Kit;

/// <summary>
/// Start and stop as both stores do them: initialization runs once however often and however concurrently it is
/// called (the host and tests may both call it), and disposal runs once.
/// </summary>
sealed class StoreLifetime : IDisposable
{
    readonly SemaphoreSlim _initializeLock = new(1, 1);
    bool _initialized;
    int _disposed;

    public bool IsInitialized => Volatile.Read(ref _initialized);

    /// <summary>Runs <paramref name="initialize"/> unless it already completed; a failed run is tried again next time.</summary>
    public async Task InitializeOnceAsync(Func<CancellationToken, Task> initialize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(initialize);
        await _initializeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
                return;
            await initialize(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _initialized, true);
        }
        finally
        {
            _initializeLock.Release();
        }
    }

    /// <summary>True for the first caller only: that one disposes the store.</summary>
    public bool TryBeginDispose() => Interlocked.Exchange(ref _disposed, 1) == 0;

    public void Dispose() => _initializeLock.Dispose();
}
