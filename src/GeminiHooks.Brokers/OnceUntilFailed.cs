using System.Collections.Concurrent;

namespace GeminiHooks.Brokers;

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
