using System.Diagnostics;
using GeminiHooks.Configuration;
using GeminiHooks.Tests.Dispatch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeminiHooks.Postgres.Tests;

/// <summary>A handler's rate limit on PostgreSQL, with two replicas sharing one database: the bucket is per replica.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresRateLimitTests(Xunit.Abstractions.ITestOutputHelper output)
{
    const double PerSecond = 5;
    static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Two_replicas_each_start_at_most_5_runs_a_second_and_no_queued_pair_spends_an_attempt()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        try
        {
            using var dir = new TempDirectory();
            var clock = Stopwatch.StartNew();
            var stampsA = new Stamps(clock);
            var stampsB = new Stamps(clock);
            await using var a = await StartReplicaAsync(dir, database, stampsA);
            await using var b = await StartReplicaAsync(dir, database, stampsB);

            var ids = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => a.AcceptAsync("batch.succeeded")));
            await Eventually.UntilAsync(() => stampsA.Of("paced").Length > 0 && stampsB.Of("paced").Length > 0, "both replicas start runs");
            var first = Math.Min(stampsA.Of("paced")[0].Ticks, stampsB.Of("paced")[0].Ticks);
            await Task.Delay(TimeSpan.FromTicks(first) + Window + TimeSpan.FromMilliseconds(500) - clock.Elapsed);

            var all = stampsA.Of("paced").Concat(stampsB.Of("paced")).Where(t => t.Ticks - first < Window.Ticks).ToArray();
            foreach (var (name, stamps) in new[] { ("a", stampsA), ("b", stampsB) })
            {
                var starts = stamps.Of("paced").Where(t => t.Ticks - first < Window.Ticks).ToArray();
                var busiest = starts.Max(t => starts.Count(u => u >= t && u - t < TimeSpan.FromSeconds(1)));
                output.WriteLine($"replica {name}: {starts.Length} runs in 10 s, at most {busiest} in any 1 s");
                Assert.InRange(starts.Length, 30, 51);
                // One more for a run whose thread started late (see HandlerRateLimitTests).
                Assert.True(busiest <= PerSecond + 1, $"replica {name} began {busiest} runs within one second");
            }
            // Per replica, not shared: together they run at up to twice the limit.
            output.WriteLine($"both: {all.Length} runs in 10 s");
            Assert.InRange(all.Length, 60, 102);

            // Each run spent its one attempt; the pairs still waiting have spent none.
            var ran = await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM handler_runs WHERE handler = 'paced' AND status <> 'pending'");
            Assert.Equal(ran, await TestPostgres.ScalarAsync(database, "SELECT COALESCE(SUM(attempts), 0) FROM handler_runs WHERE handler = 'paced'"));
            Assert.Equal(0, await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM handler_runs WHERE handler = 'paced' AND status = 'pending' AND attempts > 0"));
            Assert.Equal(ids.Length, (int)await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM handler_runs WHERE handler = 'paced'"));
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    static async Task<TestHost> StartReplicaAsync(TempDirectory dir, string database, Stamps stamps)
    {
        var store = new PostgresEventStore(new StoreOptions { ConnectionString = database }, TimeProvider.System, NullLogger<PostgresEventStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return await TestHost.StartAsync(dir, new Dictionary<string, string?>(),
            hooks => hooks.AddHandler<StampHandler>("paced", h => h.RateLimit.PerSecond = PerSecond),
            services => services.AddSingleton(stamps), time: TimeProvider.System, store: store);
    }
}
