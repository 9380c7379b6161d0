using GeminiHooks.Storage;

namespace GeminiHooks.TestSupport.Storage;

/// <summary>
/// Behaviours the two stores once answered differently, pinned so that every store answers them alike: a handler
/// name given twice, a key no store can keep, rows that tie on everything but their id, and retention by status.
/// </summary>
public abstract partial class EventStoreContractTests
{
    [Fact]
    public async Task A_handler_named_twice_is_one_pair_on_accept_and_on_replay()
    {
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("msg_1", handlers: ["a", "a", "b"]), Ct));
        Assert.Equal(["a", "b"], (await GetAsync(Store, "msg_1")).Handlers.Select(h => h.Handler));

        Assert.Equal(1, await Store.ReplayAsync("static", "msg_1", ["c", "c"], Ct));
        Assert.Equal(["a", "b", "c"], (await GetAsync(Store, "msg_1")).Handlers.Select(h => h.Handler));
        Assert.Equal(3, (await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct)).Count);
    }

    [Fact]
    public async Task A_key_no_store_can_keep_is_refused_on_accept_and_not_found_on_read_and_replay()
    {
        await Assert.ThrowsAsync<StoreRejectedException>(() => Store.AcceptAsync(Delivery("msg_\0"), Ct));
        await Assert.ThrowsAsync<StoreRejectedException>(() => Store.AcceptAsync(Delivery("msg_\ud800"), Ct));
        await Assert.ThrowsAsync<StoreRejectedException>(() => Store.AcceptAsync(Delivery("msg_1", endpoint: "static\0"), Ct));

        Assert.Null(await Store.GetEventAsync("static", "msg_\0", Ct));
        Assert.Null(await Store.GetEventAsync("static\ud800", "msg_1", Ct));
        Assert.Null(await Store.ReplayAsync("static", "msg_\0", ["a"], Ct));
        Assert.Empty((await Store.ListEventsAsync(new EventQuery(), Ct)).Events);
    }

    [Fact]
    public async Task Rows_that_tie_on_time_and_type_page_once_each_even_while_newer_ones_arrive()
    {
        // Same received-at, type, status and handlers: only the order of arrival tells them apart.
        for (var i = 0; i < 7; i++)
            await Store.AcceptAsync(Delivery($"msg_{i}"), Ct);

        var seen = new List<string>();
        string? cursor = null;
        var arrivals = 0;
        do
        {
            var page = await Store.ListEventsAsync(new EventQuery(Limit: 2, Cursor: cursor), Ct);
            seen.AddRange(page.Events.Select(e => e.WebhookId));
            cursor = page.NextCursor;
            // A newer event between two pages lands before the first page, never in a later one.
            await Store.AcceptAsync(Delivery($"new_{arrivals++}"), Ct);
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(0, 7).Reverse().Select(i => $"msg_{i}"), seen);
    }

    [Fact]
    public async Task Retention_deletes_each_status_on_its_own_and_never_pending_events()
    {
        var old = Time.GetUtcNow();
        await Store.AcceptAsync(Delivery("done_old", handlers: []), Ct);
        await Store.AcceptAsync(Delivery("quarantined_old", endpoint: "dynamic", handlers: []) with { Quarantined = true }, Ct);
        await Store.AcceptAsync(Delivery("dead_old", handlers: ["a"]), Ct);
        await Store.AcceptAsync(Delivery("pending_old", handlers: ["b"]), Ct);
        var dead = Assert.Single(await Store.ClaimAsync("w1", 1, TimeSpan.FromMinutes(1), Ct));
        Assert.Equal("dead_old", dead.WebhookId);
        Assert.True(await Store.FailAsync(dead, "boom", retryAt: null, Ct));
        Time.Advance(TimeSpan.FromDays(2));
        await Store.AcceptAsync(Delivery("quarantined_new", endpoint: "dynamic", handlers: []) with { Quarantined = true }, Ct);
        await Store.AcceptAsync(Delivery("dead_new", handlers: ["a"]), Ct);
        foreach (var item in await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct))
        {
            // dead_new is dead-lettered; pending_old stays pending (its retry is far off).
            var retryAt = item.WebhookId == "dead_new" ? (DateTimeOffset?)null : Time.GetUtcNow().AddDays(30);
            Assert.True(await Store.FailAsync(item, "boom", retryAt, Ct));
        }
        Assert.Equal(new EventCounts(2, 2), await Store.CountHeldEventsAsync(Ct));

        var cutoff = old.AddDays(1);
        Assert.Equal(1, await Store.DeleteExpiredAsync(EventStatus.Quarantined, cutoff, Ct));
        Assert.Equal(new EventCounts(1, 2), await Store.CountHeldEventsAsync(Ct));
        Assert.Equal(1, await Store.DeleteExpiredAsync(EventStatus.Dead, cutoff, Ct));
        Assert.Equal(new EventCounts(1, 1), await Store.CountHeldEventsAsync(Ct));
        Assert.Equal(1, await Store.DeleteExpiredAsync(EventStatus.Done, cutoff, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteExpiredAsync(EventStatus.Pending, cutoff, Ct));

        var left = (await Store.ListEventsAsync(new EventQuery(), Ct)).Events.Select(e => e.WebhookId).Order(StringComparer.Ordinal);
        Assert.Equal(["dead_new", "pending_old", "quarantined_new"], left);
        // A dead event's pairs went with it: nothing is left to count for it.
        Assert.Equal(new BacklogCounts(1, 0, 0, 1), await Store.CountAsync(Ct));
    }
}
