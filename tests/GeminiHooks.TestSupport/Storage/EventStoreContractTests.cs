using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace GeminiHooks.TestSupport.Storage;

/// <summary>
/// What every <see cref="IEventStore"/> must do. Each store runs these through a subclass that gives every test
/// (xunit makes one instance per test) a database of its own, so tests are independent and may open several
/// store instances over that one database: a restart, or two replicas.
/// </summary>
public abstract partial class EventStoreContractTests(ITestOutputHelper output) : IAsyncLifetime
{
    static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    readonly List<IEventStore> _open = [];
    readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(90));

    protected ITestOutputHelper Output { get; } = output;

    /// <summary>Business time of every store the test opens, unless it passes its own.</summary>
    protected FakeTimeProvider Time { get; } = new(Start);

    /// <summary>A guard against hangs: a test that takes this long fails instead of blocking the run.</summary>
    protected CancellationToken Ct => _timeout.Token;

    /// <summary>The store the test starts with.</summary>
    protected IEventStore Store { get; private set; } = null!;

    protected abstract string ConnectionString { get; }

    protected abstract Task CreateDatabaseAsync();

    protected abstract Task DropDatabaseAsync();

    protected abstract IEventStore NewStore(StoreOptions options, TimeProvider time);

    public async Task InitializeAsync()
    {
        await CreateDatabaseAsync();
        Store = await OpenStoreAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _open)
            await store.DisposeAsync();
        _open.Clear();
        await DropDatabaseAsync();
        _timeout.Dispose();
    }

    /// <summary>Opens (and initializes) another store instance over this test's database.</summary>
    protected async Task<IEventStore> OpenStoreAsync(TimeProvider? time = null, bool groupCommit = true)
    {
        var store = NewStore(new StoreOptions { ConnectionString = ConnectionString, GroupCommit = groupCommit }, time ?? Time);
        _open.Add(store);
        await store.InitializeAsync(Ct);
        return store;
    }

    protected async Task CloseStoreAsync(IEventStore store)
    {
        _open.Remove(store);
        await store.DisposeAsync();
    }

    protected IncomingDelivery Delivery(string id, string type = "batch.succeeded", IReadOnlyList<string>? handlers = null,
        string endpoint = "static", byte[]? body = null, DateTimeOffset? receivedAt = null)
    {
        var at = receivedAt ?? Time.GetUtcNow();
        return new IncomingDelivery(endpoint, id, at.ToUnixTimeSeconds(), at, type,
            body ?? Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","type":"{{type}}"}"""), handlers ?? ["log"]);
    }

    protected async Task<StoredEvent> GetAsync(IEventStore store, string id, string endpoint = "static") =>
        await store.GetEventAsync(endpoint, id, Ct) ?? throw new Xunit.Sdk.XunitException($"Event {id} is not stored.");

    /// <summary>Empties a sticky wake-up left by earlier work, so the next wait shows only what happens after it.</summary>
    protected async Task DrainSignalAsync(IEventStore store) => await store.WaitForWorkAsync(TimeSpan.Zero, Ct);

    [Fact]
    public async Task Accept_then_duplicate()
    {
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("msg_1"), Ct));
        Assert.Equal(AcceptOutcome.Duplicate, await Store.AcceptAsync(Delivery("msg_1"), Ct));
        // Uniqueness is per endpoint: the same id on the other endpoint is another delivery.
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("msg_1", endpoint: "dynamic"), Ct));
        var page = await Store.ListEventsAsync(new EventQuery(), Ct);
        Assert.Equal(2, page.Events.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Fifty_concurrent_accepts_of_one_id_across_two_instances_store_it_once(bool groupCommit)
    {
        var first = await OpenStoreAsync(groupCommit: groupCommit);
        var second = await OpenStoreAsync(groupCommit: groupCommit);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            await go.Task;
            return await (i % 2 == 0 ? first : second).AcceptAsync(Delivery("msg_same", handlers: ["a", "b"]), Ct);
        })).ToArray();
        go.SetResult();
        var outcomes = await Task.WhenAll(tasks);
        Assert.Single(outcomes, o => o == AcceptOutcome.Accepted);
        Assert.Equal(49, outcomes.Count(o => o == AcceptOutcome.Duplicate));
        var stored = await GetAsync(Store, "msg_same");
        Assert.Equal(["a", "b"], stored.Handlers.Select(h => h.Handler));
        Assert.Equal(new BacklogCounts(2, 0, 0, 0), await Store.CountAsync(Ct));
    }

    [Fact]
    public async Task Overlapping_deliveries_through_two_instances_are_each_stored_once()
    {
        // Gemini retries reach both replicas in every order; batches that share ids must neither deadlock nor double-store.
        const int ids = 300;
        var replica = await OpenStoreAsync();
        var outcomes = new ConcurrentBag<(int Id, AcceptOutcome Outcome)>();
        async Task SendAll(IEventStore store, IEnumerable<int> order)
        {
            await Task.WhenAll(order.Chunk(ids / 16).Select(part => Task.Run(async () =>
            {
                foreach (var n in part)
                    outcomes.Add((n, await store.AcceptAsync(Delivery($"msg_{n}", handlers: ["a"]), Ct)));
            }, Ct)));
        }
        await Task.WhenAll(SendAll(Store, Enumerable.Range(0, ids)), SendAll(replica, Enumerable.Range(0, ids).Reverse()));

        Assert.Equal(ids * 2, outcomes.Count);
        Assert.All(outcomes.GroupBy(o => o.Id), g => Assert.Single(g, o => o.Outcome == AcceptOutcome.Accepted));
        Assert.Equal(new BacklogCounts(ids, 0, 0, 0), await Store.CountAsync(Ct));
    }

    [Fact]
    public async Task Accepted_events_survive_a_restart_of_the_store()
    {
        for (var i = 0; i < 20; i++)
            Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery($"msg_{i}", handlers: ["a"]), Ct));
        var claimed = await Store.ClaimAsync("w1", 1, TimeSpan.FromMinutes(1), Ct);
        Assert.True(await Store.CompleteAsync(Assert.Single(claimed), Ct));
        await CloseStoreAsync(Store);

        var reopened = await OpenStoreAsync();
        var all = await reopened.ListEventsAsync(new EventQuery(Limit: 100), Ct);
        Assert.Equal(20, all.Events.Count);
        for (var i = 0; i < 20; i++)
        {
            var stored = await GetAsync(reopened, $"msg_{i}");
            Assert.Equal(Delivery($"msg_{i}").Body.ToArray(), stored.Body!.Value.ToArray());
        }
        Assert.Equal(new BacklogCounts(19, 0, 1, 0), await reopened.CountAsync(Ct));
        Assert.Equal(AcceptOutcome.Duplicate, await reopened.AcceptAsync(Delivery("msg_7"), Ct));
    }

    [Fact]
    public async Task Accept_creates_one_pending_pair_per_handler()
    {
        var receivedAt = Time.GetUtcNow();
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["slack", "log", "http"]), Ct);
        await Store.AcceptAsync(Delivery("msg_none", handlers: []), Ct);

        var stored = await GetAsync(Store, "msg_1");
        Assert.Equal(EventStatus.Pending, stored.Status);
        Assert.Equal(["http", "log", "slack"], stored.Handlers.Select(h => h.Handler));
        Assert.All(stored.Handlers, h =>
        {
            Assert.Equal(RunStatus.Pending, h.Status);
            Assert.Equal(0, h.Attempts);
            Assert.Equal(receivedAt, h.NextAttemptAt);
            Assert.Null(h.LastError);
        });
        var none = await GetAsync(Store, "msg_none");
        Assert.Equal(EventStatus.Done, none.Status);
        Assert.Empty(none.Handlers);
    }

    [Fact]
    public async Task Claim_then_complete_finishes_the_event()
    {
        var body = Encoding.UTF8.GetBytes("""{"name":"batches/1"}""");
        await Store.AcceptAsync(Delivery("msg_1", type: "batch.failed", handlers: ["a", "b"], body: body), Ct);

        var items = await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct);
        Assert.Equal(["a", "b"], items.Select(i => i.Handler).Order(StringComparer.Ordinal));
        Assert.All(items, item =>
        {
            Assert.Equal(1, item.Attempt);
            Assert.StartsWith("w1#", item.LeaseToken, StringComparison.Ordinal); // the owner plus this claim's nonce
            Assert.Equal("msg_1", item.WebhookId);
            Assert.Equal("static", item.Endpoint);
            Assert.Equal("batch.failed", item.EventType);
            Assert.Equal(Time.GetUtcNow(), item.ReceivedAt);
            Assert.Equal(body, item.Body.ToArray());
        });
        var running = await GetAsync(Store, "msg_1");
        Assert.All(running.Handlers, h => Assert.Equal(RunStatus.Running, h.Status));
        Assert.All(running.Handlers, h => Assert.Equal(Time.GetUtcNow() + TimeSpan.FromMinutes(1), h.NextAttemptAt));
        Assert.Empty(await Store.ClaimAsync("w2", 10, TimeSpan.FromMinutes(1), Ct));

        var a = items.Single(i => i.Handler == "a");
        var b = items.Single(i => i.Handler == "b");
        Assert.True(await Store.CompleteAsync(a, Ct));
        Assert.Equal(EventStatus.Pending, (await GetAsync(Store, "msg_1")).Status);
        Assert.True(await Store.CompleteAsync(b, Ct));
        var done = await GetAsync(Store, "msg_1");
        Assert.Equal(EventStatus.Done, done.Status);
        Assert.All(done.Handlers, h => Assert.Equal(RunStatus.Succeeded, h.Status));
        // A second completion of a finished claim changes nothing.
        Assert.False(await Store.CompleteAsync(a, Ct));
    }

    [Fact]
    public async Task Fail_with_retry_at_requeues_and_fail_without_dead_letters()
    {
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["a"]), Ct);
        var first = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        var retryAt = Time.GetUtcNow() + TimeSpan.FromSeconds(30);
        Assert.True(await Store.FailAsync(first, "HTTP 500", retryAt, Ct));

        var pending = Assert.Single((await GetAsync(Store, "msg_1")).Handlers);
        Assert.Equal(RunStatus.Pending, pending.Status);
        Assert.Equal(1, pending.Attempts);
        Assert.Equal(retryAt, pending.NextAttemptAt);
        Assert.Equal("HTTP 500", pending.LastError);
        Assert.Empty(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));

        Time.Advance(TimeSpan.FromSeconds(30));
        var second = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(2, second.Attempt);
        Assert.True(await Store.FailAsync(second, "HTTP 503", retryAt: null, Ct));

        var dead = await GetAsync(Store, "msg_1");
        Assert.Equal(EventStatus.Dead, dead.Status);
        var run = Assert.Single(dead.Handlers);
        Assert.Equal(RunStatus.Dead, run.Status);
        Assert.Equal(2, run.Attempts);
        Assert.Equal("HTTP 503", run.LastError);
        Time.Advance(TimeSpan.FromDays(1));
        Assert.Empty(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(new BacklogCounts(0, 0, 0, 1), await Store.CountAsync(Ct));
    }

    [Fact]
    public async Task Next_due_is_the_earliest_pending_attempt_or_running_lease_and_null_without_either()
    {
        Assert.Null(await Store.NextDueAsync(Ct));
        var now = Time.GetUtcNow();
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["a"]), Ct);
        Assert.Equal(now, await Store.NextDueAsync(Ct));

        var claimed = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(now + TimeSpan.FromMinutes(1), await Store.NextDueAsync(Ct));

        var retryAt = now + TimeSpan.FromSeconds(30);
        Assert.True(await Store.FailAsync(claimed, "HTTP 500", retryAt, Ct));
        await Store.AcceptAsync(Delivery("msg_2", handlers: ["a"], receivedAt: now + TimeSpan.FromSeconds(40)), Ct);
        Assert.Equal(retryAt, await Store.NextDueAsync(Ct));

        Time.Advance(TimeSpan.FromMinutes(1));
        foreach (var item in await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct))
            Assert.True(await Store.CompleteAsync(item, Ct));
        Assert.Null(await Store.NextDueAsync(Ct));
    }

    [Fact]
    public async Task A_pair_that_succeeds_after_a_failure_no_longer_shows_the_old_error()
    {
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["a"]), Ct);
        var first = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.True(await Store.FailAsync(first, "HTTP 500", Time.GetUtcNow(), Ct));
        var second = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.True(await Store.CompleteAsync(second, Ct));
        var run = Assert.Single((await GetAsync(Store, "msg_1")).Handlers);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Null(run.LastError);
    }

    [Fact]
    public async Task An_expired_lease_lets_another_owner_claim_and_the_stale_owner_loses()
    {
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["a"]), Ct);
        var stale = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(await Store.ClaimAsync("w2", 10, TimeSpan.FromMinutes(1), Ct));

        Time.Advance(TimeSpan.FromSeconds(1));
        var fresh = Assert.Single(await Store.ClaimAsync("w2", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(2, fresh.Attempt);
        Assert.StartsWith("w2#", fresh.LeaseToken, StringComparison.Ordinal);

        Assert.False(await Store.CompleteAsync(stale, Ct));
        Assert.False(await Store.FailAsync(stale, "late", Time.GetUtcNow(), Ct));
        var run = Assert.Single((await GetAsync(Store, "msg_1")).Handlers);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Null(run.LastError);

        Assert.True(await Store.CompleteAsync(fresh, Ct));
        Assert.Equal(EventStatus.Done, (await GetAsync(Store, "msg_1")).Status);
    }

    [Fact]
    public async Task A_run_replayed_while_running_and_claimed_again_by_the_same_owner_ignores_the_earlier_runs_outcome()
    {
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["a"]), Ct);
        var earlier = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(1, await Store.ReplayAsync("static", "msg_1", ["a"], Ct)); // attempts back to 0
        var again = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(earlier.Attempt, again.Attempt); // same owner, same attempt number: only the lease tells them apart

        Assert.False(await Store.FailAsync(earlier, "late failure of the earlier run", null, Ct));
        var run = Assert.Single((await GetAsync(Store, "msg_1")).Handlers);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.True(await Store.CompleteAsync(again, Ct));
        Assert.Equal(EventStatus.Done, (await GetAsync(Store, "msg_1")).Status);
    }

    [Fact]
    public async Task Two_instances_claiming_concurrently_never_get_the_same_pair()
    {
        const int events = 200;
        var replica = await OpenStoreAsync();
        for (var i = 0; i < events; i += 20)
        {
            await Task.WhenAll(Enumerable.Range(i, 20).Select(n =>
                (n % 2 == 0 ? Store : replica).AcceptAsync(Delivery($"msg_{n}", handlers: ["a", "b"]), Ct)));
        }

        var claims = new ConcurrentBag<(long EventId, string Handler)>();
        var claimers = new[] { Store, replica }
            .SelectMany((store, s) => Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
            {
                var owner = $"store{s}-claimer{c}";
                while (true)
                {
                    var items = await store.ClaimAsync(owner, 5, TimeSpan.FromMinutes(5), Ct);
                    if (items.Count == 0)
                        return;
                    foreach (var item in items)
                    {
                        claims.Add((item.EventId, item.Handler));
                        Assert.True(await store.CompleteAsync(item, Ct));
                    }
                }
            }, Ct)))
            .ToArray();
        await Task.WhenAll(claimers);

        Assert.Equal(events * 2, claims.Count);
        Assert.Equal(events * 2, claims.Distinct().Count());
        Assert.Equal(new BacklogCounts(0, 0, events * 2, 0), await Store.CountAsync(Ct));
        var done = await Store.ListEventsAsync(new EventQuery(Status: EventStatus.Done, Limit: 500), Ct);
        Assert.Equal(events, done.Events.Count);
    }

    [Fact]
    public async Task Handlers_of_one_event_finishing_at_once_on_two_instances_leave_it_done()
    {
        // Each completion derives the event's status from its pairs; done concurrently, each must see the other's result.
        const int events = 60;
        var replica = await OpenStoreAsync();
        for (var i = 0; i < events; i++)
            await Store.AcceptAsync(Delivery($"msg_{i}", handlers: ["a", "b"]), Ct);
        var items = await Store.ClaimAsync("w1", events * 2, TimeSpan.FromMinutes(5), Ct);
        Assert.Equal(events * 2, items.Count);

        // Handler a completes through one instance and b through the other, all released at once (an awaited gate
        // rather than a blocking barrier, so no thread pool starvation on a small machine).
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var completions = items.Select(item => Task.Run(async () =>
        {
            await go.Task;
            Assert.True(await (item.Handler == "a" ? Store : replica).CompleteAsync(item, Ct));
        }, Ct)).ToArray();
        go.SetResult();
        await Task.WhenAll(completions);

        var page = await Store.ListEventsAsync(new EventQuery(Limit: events), Ct);
        Assert.All(page.Events, e => Assert.Equal(EventStatus.Done, e.Status));
        Assert.Equal(events, (await Store.ListEventsAsync(new EventQuery(Status: EventStatus.Done, Limit: 500), Ct)).Events.Count);
    }

    [Fact]
    public async Task Replay_requeues_one_handler_or_all_and_returns_null_for_an_unknown_event()
    {
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["a", "b"]), Ct);
        foreach (var item in await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct))
            Assert.True(await Store.CompleteAsync(item, Ct));
        Assert.Equal(EventStatus.Done, (await GetAsync(Store, "msg_1")).Status);
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(1, await Store.ReplayAsync("static", "msg_1", ["a"], Ct));
        var replayed = await GetAsync(Store, "msg_1");
        Assert.Equal(EventStatus.Pending, replayed.Status);
        var a = replayed.Handlers.Single(h => h.Handler == "a");
        Assert.Equal((RunStatus.Pending, 0, Time.GetUtcNow()), (a.Status, a.Attempts, a.NextAttemptAt));
        Assert.Equal(RunStatus.Succeeded, replayed.Handlers.Single(h => h.Handler == "b").Status);
        var again = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(("a", 1), (again.Handler, again.Attempt));
        Assert.True(await Store.CompleteAsync(again, Ct));

        // All handlers, including one the event did not have when it arrived.
        Assert.Equal(3, await Store.ReplayAsync("static", "msg_1", ["a", "b", "c"], Ct));
        var all = await GetAsync(Store, "msg_1");
        Assert.Equal(["a", "b", "c"], all.Handlers.Select(h => h.Handler));
        Assert.All(all.Handlers, h => Assert.Equal(RunStatus.Pending, h.Status));
        Assert.Equal(3, (await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct)).Count);

        Assert.Null(await Store.ReplayAsync("static", "msg_unknown", ["a"], Ct));
        Assert.Null(await Store.ReplayAsync("dynamic", "msg_1", ["a"], Ct));
    }

    [Fact]
    public async Task Replay_dead_letters_all_or_by_type()
    {
        await Store.AcceptAsync(Delivery("msg_x", type: "batch.succeeded", handlers: ["a", "b"]), Ct);
        await Store.AcceptAsync(Delivery("msg_y", type: "batch.failed", handlers: ["a"]), Ct);
        await Store.AcceptAsync(Delivery("msg_z", type: "batch.succeeded", handlers: ["a"]), Ct);
        foreach (var item in await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct))
        {
            // msg_x's handler b succeeds: replaying dead letters must leave it alone.
            if (item.WebhookId == "msg_x" && item.Handler == "b")
                Assert.True(await Store.CompleteAsync(item, Ct));
            else
                Assert.True(await Store.FailAsync(item, "boom", retryAt: null, Ct));
        }
        Assert.Equal(new BacklogCounts(0, 0, 1, 3), await Store.CountAsync(Ct));
        Assert.Equal(0, await Store.ReplayDeadLettersAsync("video.generated", Ct));

        Assert.Equal(1, await Store.ReplayDeadLettersAsync("batch.failed", Ct));
        Assert.Equal(EventStatus.Pending, (await GetAsync(Store, "msg_y")).Status);
        Assert.Equal(EventStatus.Dead, (await GetAsync(Store, "msg_x")).Status);

        Assert.Equal(2, await Store.ReplayDeadLettersAsync(null, Ct));
        Assert.Equal(new BacklogCounts(3, 0, 1, 0), await Store.CountAsync(Ct));
        var x = await GetAsync(Store, "msg_x");
        Assert.Equal(EventStatus.Pending, x.Status);
        Assert.Equal((RunStatus.Pending, 0), (x.Handlers[0].Status, x.Handlers[0].Attempts));
        Assert.Equal(RunStatus.Succeeded, x.Handlers[1].Status);
        Assert.Equal(0, await Store.ReplayDeadLettersAsync(null, Ct));
    }

    [Fact]
    public async Task List_filters_by_status_and_type_and_pages_newest_first()
    {
        for (var i = 0; i < 7; i++)
        {
            // Even events have no handlers, so they are done at once; odd ones stay pending.
            await Store.AcceptAsync(Delivery($"msg_{i}", type: i < 4 ? "batch.succeeded" : "video.generated",
                handlers: i % 2 == 0 ? [] : ["a"]), Ct);
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Store.ListEventsAsync(new EventQuery(Limit: 3, Cursor: cursor), Ct);
            Assert.InRange(page.Events.Count, 1, 3);
            // Lists carry no bodies.
            Assert.All(page.Events, e => Assert.Null(e.Body));
            seen.AddRange(page.Events.Select(e => e.WebhookId));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Reverse().Select(i => $"msg_{i}"), seen);

        var pending = await Store.ListEventsAsync(new EventQuery(Status: EventStatus.Pending), Ct);
        Assert.Equal(["msg_5", "msg_3", "msg_1"], pending.Events.Select(e => e.WebhookId));
        Assert.All(pending.Events, e => Assert.Equal("a", Assert.Single(e.Handlers).Handler));
        Assert.Null(pending.NextCursor);

        var videos = await Store.ListEventsAsync(new EventQuery(EventType: "video.generated"), Ct);
        Assert.Equal(["msg_6", "msg_5", "msg_4"], videos.Events.Select(e => e.WebhookId));

        var doneBatches = await Store.ListEventsAsync(new EventQuery(Status: EventStatus.Done, EventType: "batch.succeeded", Limit: 1), Ct);
        Assert.Equal("msg_2", Assert.Single(doneBatches.Events).WebhookId);
        var next = await Store.ListEventsAsync(new EventQuery(Status: EventStatus.Done, EventType: "batch.succeeded", Limit: 1,
            Cursor: doneBatches.NextCursor), Ct);
        Assert.Equal("msg_0", Assert.Single(next.Events).WebhookId);
        Assert.Null(next.NextCursor);

        Assert.Empty((await Store.ListEventsAsync(new EventQuery(Status: EventStatus.Dead), Ct)).Events);
    }

    [Fact]
    public async Task Get_returns_the_exact_body_and_fields()
    {
        var body = new byte[64 * 1024];
        new Random(42).NextBytes(body);
        body[0] = 0;
        body[^1] = 0xFF;
        var receivedAt = Start.AddMilliseconds(123_456);
        await Store.AcceptAsync(Delivery("msg_bin", type: "interaction.completed", body: body, receivedAt: receivedAt,
            handlers: ["a"]), Ct);

        var stored = await GetAsync(Store, "msg_bin");
        Assert.Equal(body, stored.Body!.Value.ToArray());
        Assert.Equal(("static", "msg_bin", "interaction.completed"), (stored.Endpoint, stored.WebhookId, stored.EventType));
        Assert.Equal(receivedAt.ToUnixTimeSeconds(), stored.Timestamp);
        Assert.Equal(receivedAt, stored.ReceivedAt);
        Assert.Equal(TimeSpan.Zero, stored.ReceivedAt.Offset);
        Assert.True(stored.Id > 0);
        Assert.Null(await Store.GetEventAsync("static", "msg_other", Ct));
        Assert.Null(await Store.GetEventAsync("dynamic", "msg_bin", Ct));
    }

    [Fact]
    public async Task Delete_finished_removes_only_done_events_received_before_the_cutoff()
    {
        var old = Start;
        await Store.AcceptAsync(Delivery("old_none", handlers: [], receivedAt: old), Ct);
        await Store.AcceptAsync(Delivery("old_succeeded", handlers: ["a"], receivedAt: old), Ct);
        await Store.AcceptAsync(Delivery("old_pending", handlers: ["a"], receivedAt: old), Ct);
        await Store.AcceptAsync(Delivery("old_dead", handlers: ["a"], receivedAt: old), Ct);
        await Store.AcceptAsync(Delivery("new_none", handlers: [], receivedAt: old.AddHours(2)), Ct);
        foreach (var item in await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct))
        {
            if (item.WebhookId == "old_succeeded")
                Assert.True(await Store.CompleteAsync(item, Ct));
            else if (item.WebhookId == "old_dead")
                Assert.True(await Store.FailAsync(item, "boom", null, Ct));
            else
                Assert.True(await Store.FailAsync(item, "later", Time.GetUtcNow(), Ct));
        }

        Assert.Equal(2, await Store.DeleteExpiredAsync(EventStatus.Done, old.AddHours(1), Ct));
        var left = await Store.ListEventsAsync(new EventQuery(), Ct);
        Assert.Equal(["new_none", "old_dead", "old_pending"], left.Events.Select(e => e.WebhookId));
        Assert.Null(await Store.GetEventAsync("static", "old_succeeded", Ct));
        Assert.Equal(new BacklogCounts(1, 0, 0, 1), await Store.CountAsync(Ct));
        // Past its retention an id is forgotten: a very late redelivery is a new event.
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("old_none"), Ct));
        Assert.Equal(0, await Store.DeleteExpiredAsync(EventStatus.Done, old.AddHours(1), Ct));
    }

    [Fact]
    public async Task Counts_follow_pairs_through_their_states()
    {
        Assert.Equal(new BacklogCounts(0, 0, 0, 0), await Store.CountAsync(Ct));
        for (var i = 0; i < 3; i++)
            await Store.AcceptAsync(Delivery($"msg_{i}", handlers: ["a", "b"]), Ct);
        Assert.Equal(new BacklogCounts(6, 0, 0, 0), await Store.CountAsync(Ct));
        var items = await Store.ClaimAsync("w1", 2, TimeSpan.FromMinutes(1), Ct);
        Assert.Equal(2, items.Count);
        Assert.Equal(new BacklogCounts(4, 2, 0, 0), await Store.CountAsync(Ct));
        Assert.True(await Store.CompleteAsync(items[0], Ct));
        Assert.True(await Store.FailAsync(items[1], "boom", null, Ct));
        Assert.Equal(new BacklogCounts(4, 0, 1, 1), await Store.CountAsync(Ct));
        await Store.PingAsync(Ct);
    }

    [Fact]
    public async Task Wait_for_work_wakes_on_accept_and_on_replay()
    {
        // Business time is fake and never advances here, so the hour-long timeout cannot be what ends a wait.
        await DrainSignalAsync(Store);
        var wait = Store.WaitForWorkAsync(TimeSpan.FromHours(1), Ct);
        await Task.Delay(100, Ct);
        Assert.False(wait.IsCompleted);
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["a"]), Ct);
        await wait.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        var item = Assert.Single(await Store.ClaimAsync("w1", 1, TimeSpan.FromMinutes(1), Ct));
        Assert.True(await Store.FailAsync(item, "boom", null, Ct));
        await DrainSignalAsync(Store);
        wait = Store.WaitForWorkAsync(TimeSpan.FromHours(1), Ct);
        Assert.Equal(1, await Store.ReplayDeadLettersAsync(null, Ct));
        await wait.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        // A duplicate is no new work, but the timeout still ends a wait.
        await DrainSignalAsync(Store);
        wait = Store.WaitForWorkAsync(TimeSpan.FromSeconds(30), Ct);
        Time.Advance(TimeSpan.FromSeconds(30));
        await wait.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task An_accept_that_queues_no_runs_wakes_no_dispatcher()
    {
        // A claim is a write: waking dispatchers for events no handler takes would make each commit wait for a claim
        // that finds nothing.
        await DrainSignalAsync(Store);
        var wait = Store.WaitForWorkAsync(TimeSpan.FromHours(1), Ct);
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("msg_none", handlers: []), Ct));
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("msg_held") with { Handlers = [], Quarantined = true }, Ct));
        await Task.Delay(300, Ct);
        Assert.False(wait.IsCompleted);
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("msg_run", handlers: ["a"]), Ct));
        await wait.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Accept_throughput(bool groupCommit)
    {
        // Not a benchmark, a sanity check with a number in the test output: 32 concurrent senders.
        var store = await OpenStoreAsync(groupCommit: groupCommit);
        const int total = 1000;
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < total)
                Assert.Equal(AcceptOutcome.Accepted, await store.AcceptAsync(Delivery($"msg_{n}", handlers: ["a", "b"]), Ct));
        }, Ct)));
        stopwatch.Stop();
        Output.WriteLine($"{GetType().Name}: {total} accepts, group commit {(groupCommit ? "on" : "off")}: " +
            $"{total / stopwatch.Elapsed.TotalSeconds:F0}/s");
        Assert.Equal(new BacklogCounts(total * 2, 0, 0, 0), await store.CountAsync(Ct));
    }

    [Fact]
    public async Task A_quarantined_delivery_is_stored_without_runs_kept_by_cleanup_and_released_by_replay()
    {
        var quarantined = Delivery("msg_q", endpoint: "dynamic", handlers: []) with { Quarantined = true };
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(quarantined, Ct));
        Assert.Equal(AcceptOutcome.Duplicate, await Store.AcceptAsync(quarantined, Ct));
        var stored = await GetAsync(Store, "msg_q", "dynamic");
        Assert.Equal(EventStatus.Quarantined, stored.Status);
        Assert.Empty(stored.Handlers);
        Assert.Single((await Store.ListEventsAsync(new EventQuery(Status: EventStatus.Quarantined), Ct)).Events);
        Assert.Empty(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(0, await Store.DeleteExpiredAsync(EventStatus.Done, Time.GetUtcNow().AddDays(30), Ct));

        Assert.Equal(1, await Store.ReplayAsync("dynamic", "msg_q", ["log"], Ct));
        Assert.Equal(EventStatus.Pending, (await GetAsync(Store, "msg_q", "dynamic")).Status);
        Assert.Equal("msg_q", Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct)).WebhookId);
    }
}
