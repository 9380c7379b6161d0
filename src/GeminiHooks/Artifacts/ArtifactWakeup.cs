namespace GeminiHooks.Artifacts;

/// <summary>
/// Wakes this process's artifact loops when new work is there (an event recorded an artifact, a file was stored), so
/// they need not poll fast; they still look every second for work other processes made or retries that fell due.
/// </summary>
internal sealed class ArtifactWakeup
{
    readonly Lock _gate = new();
    TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set()
    {
        lock (_gate)
            _signal.TrySetResult();
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_gate)
        {
            if (_signal.Task.IsCompleted)
                _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            signal = _signal.Task;
        }
        await Task.WhenAny(signal, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
