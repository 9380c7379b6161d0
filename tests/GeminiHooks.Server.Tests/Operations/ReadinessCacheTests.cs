using System.Net;
using GeminiHooks.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>An unauthenticated flood of /readyz probes costs one readiness check per second, not one per probe.</summary>
public class ReadinessCacheTests
{
    [Fact]
    public async Task Probes_within_a_second_share_one_check_and_a_later_probe_checks_again()
    {
        using var data = new TempDirectory();
        var counter = new CountingCheck();
        await using var receiver = new Receiver(data.Path, configureServices: services =>
            services.AddHealthChecks().AddCheck("counting", counter, tags: [GeminiHooksServiceCollectionExtensions.ReadinessTag]));
        var client = receiver.Start();
        await Eventually.UntilAsync(async () => (await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "ready");

        var before = counter.Runs;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var probes = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.GetAsync("/readyz")));
        clock.Stop();
        Assert.All(probes, p => Assert.Equal(HttpStatusCode.OK, p.StatusCode));
        // At most one check per second the probes took (plus the one under way), however many probes came.
        Assert.InRange(counter.Runs - before, 0, (int)Math.Ceiling(clock.Elapsed.TotalSeconds) + 1);

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var afterPause = counter.Runs;
        using var later = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal(afterPause + 1, counter.Runs);
    }

    sealed class CountingCheck : IHealthCheck
    {
        int _runs;
        public int Runs => Volatile.Read(ref _runs);

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _runs);
            return Task.FromResult(HealthCheckResult.Healthy());
        }
    }
}
