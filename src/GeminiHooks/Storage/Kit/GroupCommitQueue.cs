using System.Threading.Channels;

namespace GeminiHooks.Storage.Kit;

/// <summary>
/// The group commit shared by the stores: writes are queued, and one loop commits everything waiting (up to
/// <c>maxBatch</c>) in one transaction with one sync, then answers each caller. At a high rate this turns one sync per
/// delivery into one per batch.
/// </summary>
/// <remarks>
/// A batch shares one transaction, so one row the database refuses would fail its neighbours. The store's commit
/// reports such a row as <see cref="StoreRejectedException"/>; the queue then commits the batch's items one by one,
/// so only the refused item fails (with that exception) and every other item gets its own answer.
/// Any other failure fails the whole batch; the loop itself keeps serving, so the store recovers on its own once
/// the database is back.
/// </remarks>
sealed class GroupCommitQueue<T> where T : PendingWrite
{
    readonly Channel<T> _writes = Channel.CreateBounded<T>(
        new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    readonly int _maxBatch;
    readonly Func<IReadOnlyList<T>, Task> _commit;
    readonly Action<int, Exception> _onFailure;
    Task? _loop;

    /// <param name="maxBatch">The most writes one transaction holds (1: every write commits alone).</param>
    /// <param name="commit">
    /// Writes the items in one transaction and sets their results; throws <see cref="StoreRejectedException"/> when
    /// the database refused the data, <see cref="StoreUnavailableException"/> when it could not be reached.
    /// </param>
    /// <param name="onFailure">Told of every failed commit (batch size, failure), for the log.</param>
    public GroupCommitQueue(int maxBatch, Func<IReadOnlyList<T>, Task> commit, Action<int, Exception> onFailure)
    {
        _maxBatch = Math.Max(1, maxBatch);
        _commit = commit;
        _onFailure = onFailure;
    }

    public bool IsStarted => _loop is not null;

    public void Start() => _loop ??= Task.Run(RunAsync, CancellationToken.None);

    /// <summary>
    /// Queues the write. The caller's cancellation only stops the wait for room in the queue: once queued, the write
    /// is committed either way (for an accept, a redelivery is then answered as a duplicate).
    /// </summary>
    public async ValueTask EnqueueAsync(T write, CancellationToken cancellationToken)
    {
        if (_loop is null)
            throw new InvalidOperationException("InitializeAsync has not run.");
        try
        {
            await _writes.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw new StoreUnavailableException("The store is shutting down.", e);
        }
    }

    /// <summary>Stops taking writes and waits until everything queued is committed.</summary>
    public async Task StopAsync()
    {
        _writes.Writer.TryComplete();
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
    }

    async Task RunAsync()
    {
        var batch = new List<T>(_maxBatch);
        var reader = _writes.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var item))
                batch.Add(item);
            await CommitAsync(batch).ConfigureAwait(false);
        }
    }

    async Task CommitAsync(List<T> batch)
    {
        try
        {
            await _commit(batch).ConfigureAwait(false);
            foreach (var item in batch)
                item.Complete();
            return;
        }
        catch (StoreRejectedException e) when (batch.Count > 1)
        {
            _onFailure(batch.Count, e);
        }
        catch (Exception e)
        {
            _onFailure(batch.Count, e);
            foreach (var item in batch)
                item.Fail(e);
            return;
        }
        // Isolate the refused item: each one alone, so only that one fails.
        foreach (var item in batch)
        {
            try
            {
                await _commit([item]).ConfigureAwait(false);
                item.Complete();
            }
            catch (Exception e)
            {
                _onFailure(1, e);
                item.Fail(e);
            }
        }
    }
}
