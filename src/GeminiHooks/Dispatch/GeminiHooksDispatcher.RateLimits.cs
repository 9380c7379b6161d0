using GeminiHooks.Configuration;
using GeminiHooks.Observability;
using GeminiHooks.Storage;

namespace GeminiHooks.Dispatch;

/// <summary>Claims for the rate-limited handlers: each on its own, never more pairs than its bucket holds tokens now.</summary>
sealed partial class GeminiHooksDispatcher
{
    /// <summary>
    /// For each rate-limited handler with tokens and free room under its own Concurrency, claims up to that many of its
    /// due pairs (passing over every other handler). Claiming no more than there are tokens is what keeps a pair from
    /// waiting for a token under lease: a claim spends an attempt, so a pair held back must be held in the store.
    /// </summary>
    async Task<IReadOnlyList<DispatchItem>> ClaimWithinRatesAsync(HandlerDescriptor[] limited,
        List<(Task<Task> Run, string Handler)> running, List<(DispatchItem Item, DateTimeOffset LeaseEnds)> claimed,
        DispatchOptions dispatch, CancellationToken stoppingToken)
    {
        if (limited.Length == 0)
            return [];
        var items = new List<DispatchItem>();
        foreach (var handler in limited)
        {
            var waiting = claimed.Count(c => c.Item.Handler == handler.Name);
            var room = handler.Flow.Concurrency - waiting - running.Count(r => r.Handler == handler.Name);
            var tokens = _rates.Available(handler) - waiting;
            var want = Math.Min(Math.Min(room, tokens), Math.Max(1, dispatch.BatchSize));
            if (want <= 0)
                continue;
            var others = catalog.Names.Where(n => !string.Equals(n, handler.Name, StringComparison.Ordinal)).ToArray();
            var taken = await store.ClaimAsync(Owner, want, dispatch.Lease, others, stoppingToken);
            items.AddRange(taken);
            if (_rates.WaitedForToken(handler))
                flowMetrics.Deferred(handler.Name, HandlerFlowMetrics.RateLimit, taken.Count);
        }
        return items;
    }
}
