namespace GeminiHooks.Storage.Kit;

/// <summary>A delivery to accept; the commit sets <see cref="Outcome"/>.</summary>
public sealed class PendingAccept(IncomingDelivery delivery) : PendingWrite
{
    public IncomingDelivery Delivery { get; } = delivery;

    /// <summary>
    /// The delivery's search keys, read from its body when the write is made, on the caller's thread: every accept's
    /// parse then runs in parallel instead of inside the one writer that commits the batch.
    /// </summary>
    public EventKeys SearchKeys { get; } = Kit.SearchKeys.Extract(delivery.Body);

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
