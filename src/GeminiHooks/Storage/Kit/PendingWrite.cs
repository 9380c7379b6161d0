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
