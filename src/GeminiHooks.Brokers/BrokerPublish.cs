using System.Collections.Concurrent;

namespace GeminiHooks.Brokers;

static class BrokerPublish
{
    /// <summary>
    /// Runs one publish under the handler's <c>Timeout</c>, in wall-clock time: a broker that never answers is a
    /// failed run, retried with backoff, rather than a run that holds its lease until it expires.
    /// </summary>
    public static async Task WithTimeoutAsync(string broker, TimeSpan timeout, Func<CancellationToken, Task> publish,
        CancellationToken cancellationToken)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await publish(timeoutCts.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{broker} did not confirm the publish within {timeout}", e);
        }
    }

    /// <summary>Replaces <c>&lt;type&gt;</c> in a subject or routing key template.</summary>
    public static string Expand(string template, string eventType) =>
        template.Replace("<type>", eventType, StringComparison.Ordinal);
}

static class OnceUntilFailed
{
    /// <summary>
    /// Runs <paramref name="start"/> once per key and shares its task (a connection, a stream creation), unless that
    /// task failed: then the next caller starts it again, so a broker that was down at the first try is tried anew.
    /// </summary>
    public static Task<T> RunAsync<TKey, T>(ConcurrentDictionary<TKey, Lazy<Task<T>>> tasks, TKey key, Func<Task<T>> start)
        where TKey : notnull
    {
        var entry = tasks.GetOrAdd(key, _ => new Lazy<Task<T>>(start));
        if (entry.Value is { IsFaulted: true } or { IsCanceled: true })
        {
            tasks.TryRemove(KeyValuePair.Create(key, entry));
            entry = tasks.GetOrAdd(key, _ => new Lazy<Task<T>>(start));
        }
        return entry.Value;
    }

    public static Task RunAsync<TKey>(ConcurrentDictionary<TKey, Lazy<Task<bool>>> tasks, TKey key, Func<Task> start) where TKey : notnull =>
        RunAsync(tasks, key, async () =>
        {
            await start();
            return true;
        });
}
