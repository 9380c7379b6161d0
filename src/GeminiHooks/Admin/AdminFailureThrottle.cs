using System.Collections.Concurrent;

namespace GeminiHooks.Admin;

/// <summary>
/// Counts failed admin authentications per client address in fixed windows: after <see cref="Burst"/> failures in one
/// <see cref="Window"/>, the client gets 429 until the window ends, even with the right key (an attacker cannot tell
/// a good guess from a throttled one). Guessing a 32-character key is hopeless anyway; this keeps probes from costing
/// CPU and log lines. The table is bounded: when it is full, clients not yet in it share one window.
/// </summary>
sealed class AdminFailureThrottle(TimeProvider time)
{
    public const int Burst = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    const int MaxClients = 10_000;
    const string Overflow = "(others)";

    readonly ConcurrentDictionary<string, Entry> _clients = new(StringComparer.Ordinal);

    /// <summary>How long the client must wait, or null when it may try.</summary>
    public TimeSpan? RetryAfter(string client)
    {
        var now = time.GetUtcNow();
        // A client not in the table shares the overflow window only while the table is full (as RecordFailure does).
        if (!_clients.TryGetValue(client, out var entry) &&
            (_clients.Count < MaxClients || !_clients.TryGetValue(Overflow, out entry)))
            return null;
        lock (entry)
        {
            if (now >= entry.WindowEnds)
                return null;
            return entry.Failures >= Burst ? entry.WindowEnds - now : null;
        }
    }

    public void RecordFailure(string client)
    {
        var now = time.GetUtcNow();
        if (!_clients.ContainsKey(client) && _clients.Count >= MaxClients)
        {
            Prune(now);
            if (_clients.Count >= MaxClients)
                client = Overflow;
        }
        var entry = _clients.GetOrAdd(client, _ => new Entry());
        lock (entry)
        {
            if (now >= entry.WindowEnds)
            {
                entry.WindowEnds = now + Window;
                entry.Failures = 0;
            }
            entry.Failures++;
        }
    }

    void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _clients)
        {
            bool expired;
            lock (entry)
                expired = now >= entry.WindowEnds;
            if (expired)
                _clients.TryRemove(key, out _);
        }
    }

    sealed class Entry
    {
        public DateTimeOffset WindowEnds;
        public int Failures;
    }
}
