using System.Collections.Concurrent;
using GeminiHooks.Events;
using GeminiHooks.Handlers;

namespace GeminiHooks.Server.Tests.Replicas;

/// <summary>What every replica's handler did, shared across the replicas of one test (they run in one process).</summary>
sealed class RunLog
{
    public ConcurrentDictionary<string, int> RunsByWebhookId { get; } = new();
    public ConcurrentDictionary<string, int> RunsByReplica { get; } = new();
    int _concurrent;
    int _maxConcurrentPerId;

    /// <summary>When set, handlers block on it (ignoring cancellation), as a process that hangs or dies would.</summary>
    public SemaphoreSlim? Gate { get; set; }

    public int MaxConcurrentPerId => Volatile.Read(ref _maxConcurrentPerId);

    readonly ConcurrentDictionary<string, int> _inFlight = new();

    public async Task RecordAsync(string replica, string webhookId)
    {
        var inFlight = _inFlight.AddOrUpdate(webhookId, 1, (_, n) => n + 1);
        InterlockedMax(ref _maxConcurrentPerId, inFlight);
        Interlocked.Increment(ref _concurrent);
        try
        {
            if (Gate is { } gate)
                await gate.WaitAsync(CancellationToken.None);
            await Task.Yield();
            RunsByWebhookId.AddOrUpdate(webhookId, 1, (_, n) => n + 1);
            RunsByReplica.AddOrUpdate(replica, 1, (_, n) => n + 1);
        }
        finally
        {
            Interlocked.Decrement(ref _concurrent);
            _inFlight.AddOrUpdate(webhookId, 0, (_, n) => n - 1);
        }
    }

    static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}

sealed class ReplicaName(string name)
{
    public string Name { get; } = name;
}

/// <summary>An all-events code handler that records each run in the shared <see cref="RunLog"/>.</summary>
sealed class RecordingHandler(RunLog log, ReplicaName replica) : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken) =>
        log.RecordAsync(replica.Name, @event.Delivery.WebhookId);
}
