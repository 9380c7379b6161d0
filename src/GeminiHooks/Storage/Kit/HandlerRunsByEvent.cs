namespace GeminiHooks.Storage.Kit;

/// <summary>Pairs read in (event, handler) order, grouped by event so each event gets its list.</summary>
sealed class HandlerRunsByEvent
{
    readonly Dictionary<long, List<HandlerRun>> _runs = [];

    public void Add(long eventId, HandlerRun run)
    {
        if (!_runs.TryGetValue(eventId, out var list))
            _runs[eventId] = list = [];
        list.Add(run);
    }

    public IReadOnlyList<HandlerRun> For(long eventId) => _runs.TryGetValue(eventId, out var list) ? list : [];

    /// <summary>The event with its pairs.</summary>
    public StoredEvent Attach(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return stored with { Handlers = For(stored.Id) };
    }
}
