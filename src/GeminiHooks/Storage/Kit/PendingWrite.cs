namespace GeminiHooks.Storage.Kit;

/// <summary>
/// A write waiting in a <see cref="GroupCommitQueue{T}"/>. The store's commit sets the result fields of each item it
/// wrote; the queue answers the callers once the batch is committed (or has failed).
/// </summary>
public abstract class PendingWrite
{
    internal abstract void Complete();
    internal abstract void Fail(Exception failure);
}

/// <summary>A delivery to accept; the commit sets <see cref="Outcome"/>.</summary>
public sealed class PendingAccept(IncomingDelivery delivery) : PendingWrite
{
    public IncomingDelivery Delivery { get; } = delivery;

    /// <summary>
    /// Checks the delivery (<see cref="AcceptRules"/>), queues it and waits for its commit. The caller's cancellation
    /// does not cancel the commit: once queued, the row is written either way, and a redelivery is then a duplicate.
    /// </summary>
    internal static async Task<AcceptOutcome> SubmitAsync(IncomingDelivery delivery,
        Func<PendingAccept, CancellationToken, ValueTask> enqueue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enqueue);
        var pending = new PendingAccept(AcceptRules.Check(delivery));
        await enqueue(pending, cancellationToken).ConfigureAwait(false);
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public AcceptOutcome Outcome { get; set; }
    internal TaskCompletionSource<AcceptOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    internal override void Complete() => Completion.TrySetResult(Outcome);
    internal override void Fail(Exception failure) => Completion.TrySetException(failure);
}

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
