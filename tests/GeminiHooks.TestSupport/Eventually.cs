using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.TestSupport;

/// <summary>
/// Polling for what happens on other threads or processes (dispatchers, servers, browsers). Polls in real time: the
/// background loops run on their own threads even when the test's clock is fake.
/// </summary>
public static class Eventually
{
    static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(20);
    static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Polls until the condition holds; fails naming <paramref name="what"/> after the limit (default 20 s).</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null) =>
        UntilAsync(condition, () => what, limit);

    /// <summary>
    /// Polls until the condition holds; after the limit (default 20 s) fails with what <paramref name="describe"/> says
    /// then (a process's log, the last value seen). The condition may throw to fail at once.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> describe, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(describe);
        var deadline = DateTime.UtcNow + (limit ?? DefaultLimit);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out after {limit ?? DefaultLimit} waiting until {describe()}");
            await Task.Delay(Interval);
        }
    }

    /// <summary>Polls until <paramref name="find"/> answers something, and answers it.</summary>
    public static async Task<T> FindAsync<T>(Func<Task<T?>> find, Func<string> describe, TimeSpan? limit = null) where T : class
    {
        ArgumentNullException.ThrowIfNull(find);
        T? found = null;
        await UntilAsync(async () => (found = await find()) is not null, describe, limit);
        return found!;
    }

    /// <summary>Polls until <paramref name="find"/> answers something, and answers it.</summary>
    public static Task<T> FindAsync<T>(Func<Task<T?>> find, string what, TimeSpan? limit = null) where T : class =>
        FindAsync(find, () => what, limit);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? limit = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, limit);

    /// <summary>Polls until the condition holds, for tests whose assertion right after says what was expected.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan? limit = null) =>
        UntilAsync(condition, "the condition holds", limit);

    /// <summary>
    /// Moves the fake clock in steps until the condition holds. Stepping (rather than one jump) also wakes a dispatcher
    /// whose idle timer was armed just after the previous step.
    /// </summary>
    public static async Task AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, Func<Task<bool>> condition, string what,
        int maxSteps = 40)
    {
        for (var i = 0; i < maxSteps; i++)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(150);
            while (DateTime.UtcNow < deadline)
            {
                if (await condition())
                    return;
                await Task.Delay(15);
            }
            time.Advance(step);
        }
        await UntilAsync(condition, what, TimeSpan.FromSeconds(2));
    }
}
