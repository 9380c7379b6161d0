namespace GeminiHooks.Storage.Kit;

/// <summary>A run's outcome to record; the commit sets <see cref="Changed"/> (false when the lease was lost).</summary>
public sealed class PendingFinish(DispatchItem item, string status, string? error, DateTimeOffset? retryAt) : PendingWrite
{
    public DispatchItem Item { get; } = item;

    /// <summary>
    /// Queues a run's outcome and waits for its commit: succeeded, or failed (pending again at
    /// <paramref name="retryAt"/>, dead-lettered when it is null). False when the lease was lost.
    /// </summary>
    internal static async Task<bool> SubmitAsync(DispatchItem item, bool succeeded, string? error, DateTimeOffset? retryAt,
        Func<PendingFinish, CancellationToken, ValueTask> enqueue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(enqueue);
        var status = succeeded ? RunStatus.Succeeded : retryAt is null ? RunStatus.Dead : RunStatus.Pending;
        var pending = new PendingFinish(item, status, error, retryAt);
        await enqueue(pending, cancellationToken).ConfigureAwait(false);
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public string Status { get; } = status;
    public string? Error { get; } = error is null ? null : StoredText.Representable(error);
    public DateTimeOffset? RetryAt { get; } = retryAt;
    public bool Changed { get; set; }
    internal TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    internal override void Complete() => Completion.TrySetResult(Changed);
    internal override void Fail(Exception failure) => Completion.TrySetException(failure);
}
