using System.Collections.Concurrent;

namespace GeminiHooks.Ingest;

/// <summary>
/// The (endpoint, webhook-id) pairs this process stored most recently, so a redelivery (Gemini sends again what it did
/// not see answered) is answered "duplicate" from memory instead of taking the store's write path, which costs a
/// transaction in the group commit. Only ids the store has confirmed are added, so a hit is always right. A miss proves
/// nothing and falls through to the store, whose unique index stays the authority: ids stored by another replica,
/// before a restart, or pushed out of this window.
/// </summary>
sealed class RecentDeliveries(int capacity = RecentDeliveries.DefaultCapacity)
{
    /// <summary>
    /// About 10 MB at most. Gemini redelivers within minutes to hours of a failed attempt: at the rates one receiver
    /// sees, this window covers hours; at bench rates only seconds, and the store answers the rest.
    /// </summary>
    public const int DefaultCapacity = 65_536;

    readonly ConcurrentDictionary<(string Endpoint, string WebhookId), byte> _ids = new();
    readonly ConcurrentQueue<(string Endpoint, string WebhookId)> _order = new();
    // ConcurrentDictionary.Count takes every lock; the window keeps its own count.
    int _count;

    public bool Contains(string endpoint, string webhookId) => _ids.ContainsKey((endpoint, webhookId));

    /// <summary>Records an id the store has confirmed (accepted or already there); evicts the oldest past the capacity.</summary>
    public void Add(string endpoint, string webhookId)
    {
        if (!_ids.TryAdd((endpoint, webhookId), 0))
            return;
        _order.Enqueue((endpoint, webhookId));
        if (Interlocked.Increment(ref _count) <= capacity)
            return;
        if (_order.TryDequeue(out var oldest) && _ids.TryRemove(oldest, out _))
            Interlocked.Decrement(ref _count);
    }

    public int Count => Volatile.Read(ref _count);
}
