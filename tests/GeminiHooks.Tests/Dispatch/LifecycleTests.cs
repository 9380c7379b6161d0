using GeminiHooks.Events;
using GeminiHooks.Handlers;
using GeminiHooks.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Tests.Dispatch;

public class LifecycleTests
{
    sealed class BlockingHandler(Recorder recorder) : IGeminiEventHandler
    {
        public async Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
        {
            recorder.Record("blocking", @event);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    [Fact]
    public async Task Shutdown_cancels_running_handlers_and_hands_their_pairs_back_as_due()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var store = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        string id;
        await using (var host = await TestHost.StartAsync(dir, handlers: hooks => hooks.AddHandler<BlockingHandler>("blocking"),
                         services: services => services.AddSingleton(recorder), time: time, store: store))
        {
            id = await host.AcceptAsync("batch.cancelled");
            await Eventually.UntilAsync(() => recorder.CallsOf("blocking") == 1, "the handler is running");
            var stopped = host.App.StopAsync();
            Assert.Same(stopped, await Task.WhenAny(stopped, Task.Delay(TimeSpan.FromSeconds(10))));
        }
        var stored = await store.GetEventAsync(TestHost.Endpoint, id, CancellationToken.None);
        var run = Assert.Single(stored!.Handlers);
        Assert.Equal(RunStatus.Pending, run.Status);
        Assert.Equal("interrupted by shutdown", run.LastError);
        Assert.True(run.NextAttemptAt <= time.GetUtcNow());
    }

    [Fact]
    public async Task A_store_that_is_not_ready_yet_is_retried_without_taking_the_host_down()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var store = new GeminiHooks.Storage.Sqlite.SqliteEventStore(
            new GeminiHooks.Configuration.StoreOptions { ConnectionString = $"Data Source={dir.File("late.db")}" }, time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<GeminiHooks.Storage.Sqlite.SqliteEventStore>.Instance);
        await using var host = await TestHost.StartAsync(dir, handlers: hooks => hooks.AddHandler<SteadyHandler>("steady"),
            services: services => services.AddSingleton(recorder), time: time, store: store);

        await Task.Delay(200); // the dispatcher meets the uninitialized store and backs off
        await store.InitializeAsync(CancellationToken.None);
        var id = await host.AcceptAsync("batch.succeeded");
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => Task.FromResult(recorder.CallsOf("steady") == 1),
            "the dispatcher recovers");
        await Eventually.UntilAsync(async () => (await host.RunAsync(id, "steady"))?.Status == RunStatus.Succeeded, "the run is recorded");
    }

    [Fact]
    public async Task The_catalog_follows_configuration_reloads()
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Handlers:audit:Type"] = "log",
            ["GeminiHooks:Handlers:audit:Events:0"] = "batch.*",
        });
        Assert.Equal(["audit"], host.HandlersFor("batch.failed"));
        Assert.Empty(host.HandlersFor("video.generated"));

        var configuration = (IConfigurationRoot)host.App.Configuration;
        configuration["GeminiHooks:Handlers:everything:Type"] = "log";
        configuration["GeminiHooks:Handlers:audit:Events:0"] = "video.generated";
        configuration.Reload();
        await Eventually.UntilAsync(() => host.HandlersFor("batch.failed").SequenceEqual(["everything"]), "the reload is seen");
        Assert.Equal(["audit", "everything"], host.HandlersFor("video.generated"));

        // An invalid reload keeps the last good handlers: the options monitor refuses it (and logs why) without
        // throwing at whoever triggered the reload, and the catalog never sees the invalid set.
        configuration["GeminiHooks:Handlers:broken:Type"] = "ftp";
        Assert.Null(Record.Exception(configuration.Reload));
        await Task.Delay(100);
        Assert.Equal(["audit", "everything"], host.HandlersFor("video.generated"));
    }

    [Fact]
    public async Task Retention_cleanup_deletes_old_finished_events_and_dead_ones_after_their_own_retention()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dispatch:MaxAttempts"] = "1",
            ["GeminiHooks:Idempotency:Retention"] = "7.00:00:00",
            ["GeminiHooks:Idempotency:DeadRetention"] = "14.00:00:00",
            ["GeminiHooks:Idempotency:CleanupInterval"] = "01:00:00",
        }, hooks => hooks.AddHandler<FlakyHandler>("flaky").AddHandler<SteadyHandler>("steady"),
            services => services.AddSingleton(recorder));
        var done = await host.AcceptAsync("batch.failed");
        var dead = await host.AcceptAsync("batch.succeeded");
        await Eventually.UntilAsync(async () => (await host.Store.CountAsync(CancellationToken.None)) is { Pending: 0, Running: 0 }, "all ran");

        host.FakeTime.Advance(TimeSpan.FromDays(6));
        await Task.Delay(200);
        Assert.NotNull(await host.Store.GetEventAsync(TestHost.Endpoint, done, CancellationToken.None));

        await Eventually.AdvanceUntilAsync(host.FakeTime, TimeSpan.FromHours(1),
            async () => await host.Store.GetEventAsync(TestHost.Endpoint, done, CancellationToken.None) is null, "the done event is deleted");
        Assert.NotNull(await host.Store.GetEventAsync(TestHost.Endpoint, dead, CancellationToken.None));

        host.FakeTime.Advance(TimeSpan.FromDays(6));
        await Eventually.AdvanceUntilAsync(host.FakeTime, TimeSpan.FromHours(1),
            async () => await host.Store.GetEventAsync(TestHost.Endpoint, dead, CancellationToken.None) is null, "the dead event is deleted");
    }
}
