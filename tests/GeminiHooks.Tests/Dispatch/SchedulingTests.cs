using System.Collections.Concurrent;
using System.Reflection;
using GeminiHooks.Events;
using GeminiHooks.Handlers;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Tests.Dispatch;

/// <summary>When the dispatcher wakes and how much one claim takes (real SQLite files).</summary>
public class SchedulingTests
{
    sealed class FailsFirstAttempt(ConcurrentQueue<DateTimeOffset> calls) : IGeminiEventHandler
    {
        public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
        {
            calls.Enqueue(DateTimeOffset.UtcNow);
            return @event.Delivery.Attempt == 1 ? throw new InvalidOperationException("first attempt fails") : Task.CompletedTask;
        }
    }

    [Fact]
    public async Task An_idle_dispatcher_runs_a_retry_at_its_due_time_not_at_the_next_poll()
    {
        using var dir = new TempDirectory();
        var calls = new ConcurrentQueue<DateTimeOffset>();
        // Real time: the retry is due about 0.4 s after the failure (±20 % jitter); the poll would come only after 30 s.
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:00.4",
            ["GeminiHooks:Dispatch:PollInterval"] = "00:00:30",
        }, hooks => hooks.AddHandler<FailsFirstAttempt>("flaky"), services => services.AddSingleton(calls), time: TimeProvider.System);

        var id = await host.AcceptAsync("batch.succeeded");
        await Eventually.UntilAsync(async () => (await host.RunAsync(id, "flaky"))?.Status == RunStatus.Succeeded,
            "the retry ran", TimeSpan.FromSeconds(10));
        var times = calls.ToArray();
        Assert.Equal(2, times.Length);
        var gap = times[1] - times[0];
        Assert.InRange(gap, TimeSpan.FromSeconds(0.4 * 0.8), TimeSpan.FromSeconds((0.4 * 1.2) + 1));
    }

    /// <summary>Counts the claims that reach a real store; everything else passes straight through.</summary>
    public class ClaimCounter : DispatchProxy
    {
        IEventStore _inner = null!;
        int _claims;

        public int Claims => Volatile.Read(ref _claims);

        public static (IEventStore Store, ClaimCounter Counter) Wrap(IEventStore inner)
        {
            var proxy = Create<IEventStore, ClaimCounter>();
            var counter = (ClaimCounter)(object)proxy;
            counter._inner = inner;
            return (proxy, counter);
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IEventStore.ClaimAsync))
                Interlocked.Increment(ref _claims);
            return targetMethod.Invoke(_inner, args);
        }
    }

    [Fact]
    public async Task One_claim_takes_a_batch_that_then_runs_concurrency_at_a_time()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var real = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        await AcceptDueAsync(real, time, 40, "steady");
        var (store, counter) = ClaimCounter.Wrap(real);

        await using (var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
                     {
                         ["GeminiHooks:Dispatch:Concurrency"] = "2",
                         ["GeminiHooks:Dispatch:BatchSize"] = "50",
                     }, hooks => hooks.AddHandler<SteadyHandler>("steady"), services => services.AddSingleton(recorder),
                     time: time, store: store))
        {
            await Eventually.UntilAsync(async () => (await real.CountAsync(CancellationToken.None)).Succeeded == 40, "all forty ran");
        }
        Assert.Equal(40, recorder.CallsOf("steady"));
        // Claiming two at a time would have taken twenty claims; one batch takes them all (a second finds none left).
        Assert.InRange(counter.Claims, 1, 3);
    }

    /// <summary>Pairs due before the dispatcher starts, so its first claim finds them all.</summary>
    static async Task AcceptDueAsync(IEventStore store, TimeProvider time, int count, string handler)
    {
        var now = time.GetUtcNow();
        for (var i = 0; i < count; i++)
            await store.AcceptAsync(new IncomingDelivery(TestHost.Endpoint, $"msg_{i}", now.ToUnixTimeSeconds(), now, "batch.succeeded",
                """{"type":"batch.succeeded","data":{"id":"batches/1"}}"""u8.ToArray(), [handler]), CancellationToken.None);
    }

    sealed class BlockingHandler(Recorder recorder) : IGeminiEventHandler
    {
        public async Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
        {
            recorder.Record("blocking", @event);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    [Fact]
    public async Task Claimed_pairs_not_started_at_shutdown_are_handed_back_due_now()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var store = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        await AcceptDueAsync(store, time, 5, "blocking");
        await using (var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
                     {
                         ["GeminiHooks:Dispatch:Concurrency"] = "1",
                         ["GeminiHooks:Dispatch:BatchSize"] = "10",
                     }, hooks => hooks.AddHandler<BlockingHandler>("blocking"), services => services.AddSingleton(recorder),
                     time: time, store: store))
        {
            await Eventually.UntilAsync(async () => (await store.CountAsync(CancellationToken.None)).Running == 5 &&
                recorder.CallsOf("blocking") == 1, "all five are claimed and one runs");
            await Task.Delay(200);
            Assert.Equal(1, recorder.CallsOf("blocking"));
        }
        var counts = await store.CountAsync(CancellationToken.None);
        Assert.Equal(new BacklogCounts(5, 0, 0, 0), counts);
        Assert.Equal(4, (await store.ListEventsAsync(new EventQuery(Limit: 10), CancellationToken.None)).Events
            .Count(e => e.Handlers.Single().LastError == "not started before shutdown"));
        Assert.True(await store.NextDueAsync(CancellationToken.None) <= time.GetUtcNow());
    }
}
