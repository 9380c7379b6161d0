namespace GeminiHooks.Storage;

/// <summary>
/// A sticky wake-up: <see cref="Set"/> before or during a wait makes the next <see cref="WaitAsync"/> return at once.
/// Stores use it so a dispatcher that found nothing to claim still sees an accept that lands just after.
/// </summary>
public sealed class WorkSignal
{
    TaskCompletionSource _current = NewSource();

    public void Set() => Volatile.Read(ref _current).TrySetResult();

    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var source = Volatile.Read(ref _current);
        if (!source.Task.IsCompleted)
        {
            using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(timeout, time, timeoutCts.Token);
            await Task.WhenAny(source.Task, delay).ConfigureAwait(false);
            await timeoutCts.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (source.Task.IsCompleted)
            Interlocked.CompareExchange(ref _current, NewSource(), source);
    }

    static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
