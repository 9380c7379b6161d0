using System.Collections.Concurrent;
using System.Net;
using GeminiHooks.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GeminiHooks.Server.Tests.Replicas;

/// <summary>Several receivers on one PostgreSQL database, as behind a load balancer; real HTTP, real PostgreSQL.</summary>
public class ReplicaTests
{
    internal static Receiver Replica(string name, TempDirectory data, string connectionString, RunLog log, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:Store:Provider"] = "Postgres",
            ["GeminiHooks:Store:ConnectionString"] = connectionString,
            ["GeminiHooks:Dispatch:Concurrency"] = "8",
            ["GeminiHooks:Dispatch:Lease"] = "00:01:00",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            settings[key] = value;
        Directory.CreateDirectory(Path.Combine(data.Path, name));
        return new Receiver(Path.Combine(data.Path, name), settings, configureServices: services =>
        {
            services.AddSingleton(log);
            services.AddSingleton(new ReplicaName(name));
            new GeminiHooksBuilder(services).AddHandler<RecordingHandler>("recorder");
            // A stopped replica must not wait long for a handler that hangs.
            services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        });
    }

    [Fact]
    public async Task The_same_500_deliveries_sent_to_two_replicas_give_500_accepted_events_each_handled_once()
    {
        using var data = new TempDirectory();
        var database = await TestPostgres.CreateDatabaseAsync();
        var log = new RunLog();
        await using var a = Replica("a", data, database, log);
        await using var b = Replica("b", data, database, log);
        using var clientA = a.Start();
        using var clientB = b.Start();

        var answers = new ConcurrentBag<string>();
        var ids = Enumerable.Range(0, 500).Select(i => $"msg_replica_{i}").ToList();
        using var throttle = new SemaphoreSlim(32);
        await Task.WhenAll(ids.SelectMany(id => new[] { (a, clientA), (b, clientB) }.Select(async target =>
        {
            await throttle.WaitAsync();
            try
            {
                using var response = await target.Item2.SendAsync(target.Item1.SignedStatic(id, Receiver.Event(id: id)));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                answers.Add(await response.Content.ReadAsStringAsync());
            }
            finally
            {
                throttle.Release();
            }
        })));

        Assert.Equal(500, answers.Count(x => x == """{"status":"accepted"}"""));
        Assert.Equal(500, answers.Count(x => x == """{"status":"duplicate"}"""));
        Assert.Equal(500, await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM events"));

        await Eventually.UntilAsync(() => Task.FromResult(log.RunsByWebhookId.Count == 500), TimeSpan.FromSeconds(60));
        // A run is recorded as succeeded just after its handler returns, so the count is awaited too.
        await Eventually.UntilAsync(async () => await TestPostgres.ScalarAsync(database,
            "SELECT COUNT(*) FROM handler_runs WHERE status = 'succeeded'") == 500, "the 500 runs recorded as succeeded");
        await Task.Delay(500); // a second run of any pair would show up here
        Assert.All(ids, id => Assert.Equal(1, log.RunsByWebhookId[id]));
        Assert.Equal(1, log.MaxConcurrentPerId);
        Console.WriteLine($"runs by replica: {string.Join(", ", log.RunsByReplica.Select(kv => $"{kv.Key}={kv.Value}"))}");
    }

    [Fact]
    public async Task A_replica_stopped_in_the_middle_of_dispatch_leaves_its_work_to_the_other_after_the_leases_expire()
    {
        using var data = new TempDirectory();
        var database = await TestPostgres.CreateDatabaseAsync();
        using var hang = new SemaphoreSlim(0);
        var log = new RunLog { Gate = hang }; // replica a's runs hang, as in a process that stops answering
        var a = Replica("a", data, database, log);
        using (var clientA = a.Start())
        {
            for (var i = 0; i < 20; i++)
            {
                using var response = await clientA.SendAsync(a.SignedStatic($"msg_stop_{i}", Receiver.Event()));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            await Eventually.UntilAsync(async () =>
                await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM handler_runs WHERE status = 'running'") > 0);
        }
        await a.DisposeAsync(); // stopped with runs in flight: their leases are held by an owner that is gone
        var stranded = await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM handler_runs WHERE status = 'running'");
        Assert.True(stranded > 0);
        var strandedOwners = await TestPostgres.ScalarAsync(database, "SELECT COUNT(DISTINCT split_part(lease_owner, '#', 1)) FROM handler_runs WHERE status = 'running'");
        Assert.Equal(1, strandedOwners);

        log.Gate = null;
        await using var b = Replica("b", data, database, log);
        using var clientB = b.Start();
        // Replica b runs what was never claimed, but leaves leased work alone until the lease (1 minute) expires...
        await Eventually.UntilAsync(async () =>
            await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM handler_runs WHERE status = 'succeeded'") == 20 - stranded, TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        Assert.Equal(stranded, await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM handler_runs WHERE status = 'running'"));

        // ...and completes all of it once the leases have expired. Nothing is lost, nothing runs twice.
        b.Time.Advance(TimeSpan.FromMinutes(2));
        await Eventually.UntilAsync(async () =>
            await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM handler_runs WHERE status = 'succeeded'") == 20, TimeSpan.FromSeconds(30));
        Assert.Equal(20, log.RunsByReplica.GetValueOrDefault("b"));
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(1, log.RunsByWebhookId[$"msg_stop_{i}"]));
        hang.Release(100); // let replica a's abandoned handler tasks end
    }

    [Fact]
    public async Task PostgreSQL_stopped_under_load_gives_503_and_not_ready_then_the_service_recovers_and_every_accepted_delivery_is_dispatched()
    {
        await using var cluster = await OwnPostgresCluster.StartAsync();
        using var data = new TempDirectory();
        var database = await TestPostgres.CreateDatabaseAsync(cluster.ConnectionString);
        var log = new RunLog();
        await using var receiver = Replica("a", data, database + ";Timeout=2;Command Timeout=5", log);
        using var client = receiver.Start();

        var accepted = new ConcurrentBag<string>();
        var unavailable = 0;
        var retryAfterSeen = true;
        using var stopLoad = new CancellationTokenSource();
        var next = 0;
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                var id = $"msg_load_{Interlocked.Increment(ref next)}";
                using var response = await client.SendAsync(receiver.SignedStatic(id, Receiver.Event(id: id)));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    accepted.Add(id);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    retryAfterSeen &= response.Headers.RetryAfter is not null;
                    Interlocked.Increment(ref unavailable);
                    await Task.Delay(20);
                }
            }
        })).ToArray();

        await Eventually.UntilAsync(() => Task.FromResult(accepted.Count >= 50));
        await cluster.StopAsync();
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref unavailable) >= 10), TimeSpan.FromSeconds(30));
        using (var ready = await client.GetAsync("/readyz"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);

        await cluster.RestartAsync();
        var acceptedAtRestart = accepted.Count;
        await Eventually.UntilAsync(() => Task.FromResult(accepted.Count >= acceptedAtRestart + 50), TimeSpan.FromSeconds(30));
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);
        // Readiness is checked at most once a second, so the report of the outage may answer for up to a second more.
        await Eventually.UntilAsync(async () =>
        {
            using var ready = await client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        }, "ready again after the restart", TimeSpan.FromSeconds(10));
        Assert.True(retryAfterSeen);

        // Every delivery that got a 200 is in the database and is dispatched: a claim or an outcome that was cut off
        // by the outage is retried once its lease (1 minute) expires, so the clock is moved past it.
        var stored = await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM events");
        Assert.Equal(accepted.Count, stored);
        receiver.Time.Advance(TimeSpan.FromMinutes(2));
        await Eventually.UntilAsync(() => Task.FromResult(accepted.All(log.RunsByWebhookId.ContainsKey)), TimeSpan.FromSeconds(60));
        Console.WriteLine($"{accepted.Count} accepted, {unavailable} answered 503 during the outage");
    }
}
