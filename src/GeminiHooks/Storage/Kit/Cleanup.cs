namespace GeminiHooks.Storage.Kit;

/// <summary>Deletes finished events in small chunks, so no transaction holds locks long enough to delay accepts.</summary>
static class Cleanup
{
    public const int ChunkSize = 1000;

    /// <summary>
    /// Calls <paramref name="deleteChunk"/> (which deletes at most <see cref="ChunkSize"/> events and says how many)
    /// until a chunk comes back short or cancellation is asked for; returns the total.
    /// </summary>
    public static async Task<int> InChunksAsync(Func<CancellationToken, Task<int>> deleteChunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deleteChunk);
        var total = 0;
        while (true)
        {
            var deleted = await deleteChunk(cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < ChunkSize || cancellationToken.IsCancellationRequested)
                return total;
        }
    }
}
