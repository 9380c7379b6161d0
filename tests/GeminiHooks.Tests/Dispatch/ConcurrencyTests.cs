using System.Collections.Concurrent;
using GeminiHooks.Events;
using GeminiHooks.Handlers;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Tests.Dispatch;

public class ConcurrencyTests
{
    public sealed class Probe
    {
        public ConcurrentDictionary<string, int> Active { get; } = new();
        public ConcurrentDictionary<string, int> Runs { get; } = new();
        public ConcurrentDictionary<string, int> ByHost { get; } = new();
        public int Overlaps;
    }

    public sealed record HostTag(string Name);

    sealed class ProbeHandler(Probe probe, HostTag host) : IGeminiEventHandler
    {
        public async Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
        {
            var key = @event.Delivery.Handler + "/" + @event.Delivery.WebhookId;
            if (probe.Active.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
                Interlocked.Increment(ref probe.Overlaps);
            probe.Runs.AddOrUpdate(key, 1, (_, n) => n + 1);
            probe.ByHost.AddOrUpdate(host.Name, 1, (_, n) => n + 1);
            await Task.Delay(Random.Shared.Next(1, 15), cancellationToken);
            probe.Active.AddOrUpdate(key, 0, (_, n) => n - 1);
        }
    }

    [Fact]
    public async Task Three_hosts_over_one_sqlite_file_run_every_pair_exactly_once_and_never_concurrently()
    {
        using var dir = new TempDirectory();
        var probe = new Probe();
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:Dispatch:Concurrency"] = "4",
            ["GeminiHooks:Dispatch:PollInterval"] = "00:00:00.050",
        };
        var stores = new List<IEventStore>();
        for (var i = 0; i < 3; i++)
            stores.Add(await TestHost.OpenStoreAsync(dir.File("shared.db"), TimeProvider.System));
        var hosts = new List<TestHost>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var tag = new HostTag("host" + i);
                hosts.Add(await TestHost.StartAsync(dir, settings,
                    hooks => hooks.AddHandler<ProbeHandler>("a").AddHandler<ProbeHandler>("b"),
                    services => services.AddSingleton(probe).AddSingleton(tag), TimeProvider.System, stores[i]));
            }
            const int events = 40;
            var ids = new List<string>();
            for (var i = 0; i < events; i++)
                ids.Add(await hosts[i % 3].AcceptAsync(i % 2 == 0 ? "batch.succeeded" : "interaction.completed"));

            await Eventually.UntilAsync(async () => (await stores[0].CountAsync(CancellationToken.None)).Succeeded == events * 2,
                "every pair succeeded", TimeSpan.FromSeconds(60));
            var counts = await stores[0].CountAsync(CancellationToken.None);
            Assert.Equal(new BacklogCounts(0, 0, events * 2, 0), counts);
            Assert.Equal(0, probe.Overlaps);
            Assert.Equal(events * 2, probe.Runs.Count);
            Assert.All(probe.Runs, run => Assert.Equal(1, run.Value));
            Assert.Equal(events * 2, probe.ByHost.Values.Sum());
        }
        finally
        {
            foreach (var host in hosts)
                await host.DisposeAsync();
            foreach (var store in stores)
                await store.DisposeAsync();
        }
    }
}
