using GeminiHooks.Storage;

namespace GeminiHooks.TestSupport.Storage;

/// <summary>Bulk replays by filter: the dry-run count is what gets queued, and a replay resumed after a crash queues nothing twice.</summary>
public abstract partial class EventStoreContractTests
{
    static readonly TimeSpan ReplayLease = TimeSpan.FromMinutes(1);

    static IReadOnlyList<string> AllOrNamed(string type, IReadOnlyList<string>? named) => named ?? ["log"];

    async Task SettleAllAsync()
    {
        foreach (var item in await Store.ClaimAsync("settle", 500, TimeSpan.FromMinutes(1), Ct))
            Assert.True(await Store.CompleteAsync(item, Ct));
    }

    [Fact]
    public async Task A_bulk_replay_queues_exactly_the_events_its_dry_run_counted_and_no_later_ones()
    {
        for (var i = 0; i < 7; i++)
            await Store.AcceptAsync(Delivery($"r{i}", i % 2 == 0 ? "batch.failed" : "video.generated"), Ct);
        await SettleAllAsync();
        var filter = new EventFilter { EventTypePrefix = "batch." };
        var dryRun = await Store.CountEventsAsync(filter, Ct);
        Assert.Equal(4, dryRun);

        var started = await Store.StartReplayAsync(new ReplayRequest(filter, ["log", "log"], "127.0.0.1"), Ct);
        Assert.Equal(new ReplayProgress(started.Id, dryRun, 0, "running", "127.0.0.1", Time.GetUtcNow()), started);
        // Arrives after the replay started: not part of it.
        await Store.AcceptAsync(Delivery("late", "batch.failed"), Ct);
        ReplayProgress? progress;
        while ((progress = await Store.RunReplayPageAsync("w1", ReplayLease, 3, AllOrNamed, Ct)) is { Status: "running" })
        {
        }
        Assert.Equal(new ReplayProgress(started.Id, dryRun, dryRun, "done", "127.0.0.1", Time.GetUtcNow()), progress);
        Assert.Equal(progress, await Store.GetReplayAsync(started.Id, Ct));
        Assert.Null(await Store.RunReplayPageAsync("w1", ReplayLease, 3, AllOrNamed, Ct));
        foreach (var id in new[] { "r0", "r2", "r4", "r6" })
            Assert.Equal(RunStatus.Pending, Assert.Single((await GetAsync(Store, id)).Handlers).Status);
        foreach (var id in new[] { "r1", "r3", "r5" })
            Assert.Equal(RunStatus.Succeeded, Assert.Single((await GetAsync(Store, id)).Handlers).Status);
        Assert.Equal(new BacklogCounts(5, 0, 3, 0), await Store.CountAsync(Ct)); // four replayed, plus the late one's own
        Assert.Null(await Store.GetReplayAsync("no-such-replay", Ct));
    }

    [Fact]
    public async Task A_replay_whose_process_stopped_mid_way_resumes_elsewhere_and_queues_no_event_twice()
    {
        for (var i = 0; i < 10; i++)
            await Store.AcceptAsync(Delivery($"c{i}"), Ct);
        await SettleAllAsync();
        var first = await OpenStoreAsync();
        var at = Time.GetUtcNow();
        var started = await first.StartReplayAsync(new ReplayRequest(new EventFilter(), null, "10.0.0.7"), Ct);
        var afterPage = await first.RunReplayPageAsync("process-a", ReplayLease, 4, AllOrNamed, Ct);
        Assert.Equal(new ReplayProgress(started.Id, 10, 4, "running", "10.0.0.7", at), afterPage);
        await CloseStoreAsync(first); // the process stops, still holding the lease

        // What the first page queued runs to success meanwhile; a replay that queued twice would make it pending again.
        await SettleAllAsync();
        Assert.Null(await Store.RunReplayPageAsync("process-b", ReplayLease, 4, AllOrNamed, Ct)); // the lease still holds
        Time.Advance(ReplayLease);
        ReplayProgress? progress;
        while ((progress = await Store.RunReplayPageAsync("process-b", ReplayLease, 4, AllOrNamed, Ct)) is { Status: "running" })
        {
        }
        Assert.Equal(new ReplayProgress(started.Id, 10, 10, "done", "10.0.0.7", at), progress);
        var events = (await Store.ListEventsAsync(new EventQuery(Limit: 100), Ct)).Events;
        Assert.Equal(4, events.Count(e => e.Handlers.Single().Status == RunStatus.Succeeded));
        Assert.Equal(6, events.Count(e => e.Handlers.Single().Status == RunStatus.Pending));
        Assert.All(events.Where(e => e.Handlers.Single().Status == RunStatus.Succeeded), e => Assert.True(e.Id <= events.Min(x => x.Id) + 3));
    }

    [Fact]
    public async Task A_replay_that_matches_nothing_is_done_at_once()
    {
        await Store.AcceptAsync(Delivery("only"), Ct);
        var started = await Store.StartReplayAsync(new ReplayRequest(new EventFilter { Job = "batches/none" }, null, "me"), Ct);
        Assert.Equal(new ReplayProgress(started.Id, 0, 0, "done", "me", Time.GetUtcNow()), started);
        Assert.Null(await Store.RunReplayPageAsync("w", ReplayLease, 10, AllOrNamed, Ct));
    }

    [Fact]
    public async Task A_replay_matching_thousands_queues_every_match_once_and_nothing_else()
    {
        // More matches than a replay page reads as one list: its pages look the key and handler conditions up per event.
        const int Events = 2400;
        await Task.WhenAll(Enumerable.Range(0, Events).Select(i => Store.AcceptAsync(Delivery($"many{i}", "batch.failed",
            body: JobBody("batch.failed", $"batches/m{i}", topMeta: i % 8 == 0 ? """{"team":"blue"}""" : """{"team":"red"}""")), Ct)));
        IReadOnlyList<DispatchItem> claimed;
        while ((claimed = await Store.ClaimAsync("settle", 500, TimeSpan.FromMinutes(1), Ct)).Count > 0)
        {
            foreach (var item in claimed)
                Assert.True(await Store.CompleteAsync(item, Ct));
        }
        var filter = new EventFilter
        {
            Metadata = new Dictionary<string, string> { ["team"] = "red" },
            Handler = "log",
            HandlerStatus = RunStatus.Succeeded,
        };
        Assert.Equal(2100, await Store.CountEventsAsync(filter, Ct));

        var started = await Store.StartReplayAsync(new ReplayRequest(filter, null, "me"), Ct);
        var pages = 0;
        ReplayProgress? progress;
        while ((progress = await Store.RunReplayPageAsync("w", ReplayLease, 200, AllOrNamed, Ct)) is { Status: "running" })
            pages++;
        Assert.Equal(new ReplayProgress(started.Id, 2100, 2100, "done", "me", Time.GetUtcNow()), progress);
        Assert.InRange(pages, 10, 11);
        Assert.Equal(new BacklogCounts(2100, 0, 300, 0), await Store.CountAsync(Ct));
        var events = new List<StoredEvent>();
        string? cursor = null;
        do
        {
            var page = await Store.ListEventsAsync(new EventQuery(Limit: 500, Cursor: cursor), Ct);
            events.AddRange(page.Events);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(Events, events.Count);
        foreach (var e in events)
        {
            var blue = int.Parse(e.WebhookId["many".Length..], System.Globalization.CultureInfo.InvariantCulture) % 8 == 0;
            Assert.Equal(blue ? RunStatus.Succeeded : RunStatus.Pending, Assert.Single(e.Handlers).Status);
        }
    }
}
