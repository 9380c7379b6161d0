using GeminiHooks.Storage;

namespace GeminiHooks.TestSupport.Storage;

/// <summary>
/// Handler state: a pause is kept in the database, so every instance over it (a replica, a restart) leaves the paused
/// handler's pairs alone, with their attempts untouched, until any instance resumes it; and a claim can pass over
/// handlers its dispatcher is already running at their limit.
/// </summary>
public abstract partial class EventStoreContractTests
{
    static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_paused_handler_is_claimed_by_no_instance_and_keeps_its_attempts_until_resumed()
    {
        var replica = await OpenStoreAsync();
        await Store.SetHandlerPausedAsync("billing", paused: true, Ct);
        for (var i = 0; i < 3; i++)
            await Store.AcceptAsync(Delivery($"msg_{i}", handlers: ["billing", "log"]), Ct);

        // Both instances take the other handler's pairs and pass over the paused one, now and later.
        var first = await Store.ClaimAsync("a", 10, Lease, Ct);
        var second = await replica.ClaimAsync("b", 10, Lease, Ct);
        Assert.All(first.Concat(second), item => Assert.Equal("log", item.Handler));
        Assert.Equal(3, first.Count + second.Count);
        foreach (var item in first.Concat(second))
            Assert.True(await (first.Contains(item) ? Store : replica).CompleteAsync(item, Ct));
        Time.Advance(TimeSpan.FromHours(6));
        Assert.Empty(await replica.ClaimAsync("b", 10, Lease, Ct));
        Assert.Empty(await Store.ClaimAsync("a", 10, Lease, Ct));
        // Nothing is due for an idle dispatcher either: it must not wake for pairs it may not take.
        Assert.Null(await replica.NextDueAsync(Ct));

        var paused = Assert.Single(await replica.GetHandlerStatesAsync(["billing"], Ct));
        Assert.True(paused.Paused);
        Assert.Equal(Time.GetUtcNow() - TimeSpan.FromHours(6), paused.PausedAt);
        Assert.Equal(3, paused.Pending);
        Assert.All((await GetAsync(Store, "msg_0")).Handlers.Where(h => h.Handler == "billing"),
            run => Assert.Equal((RunStatus.Pending, 0), (run.Status, run.Attempts)));

        // A second pause keeps the first one's time; the resume, through the other instance, frees every pair.
        await Store.SetHandlerPausedAsync("billing", paused: true, Ct);
        Assert.Equal(paused.PausedAt, (await Store.GetHandlerStatesAsync(["billing"], Ct))[0].PausedAt);
        await DrainSignalAsync(replica);
        await replica.SetHandlerPausedAsync("billing", paused: false, Ct);
        await replica.WaitForWorkAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.NotNull(await Store.NextDueAsync(Ct));
        var resumed = await Store.ClaimAsync("a", 10, Lease, Ct);
        Assert.Equal(3, resumed.Count);
        Assert.All(resumed, item => Assert.Equal(("billing", 1), (item.Handler, item.Attempt)));
        Assert.False((await replica.GetHandlerStatesAsync(["billing"], Ct))[0].Paused);
    }

    [Fact]
    public async Task A_pair_running_when_its_handler_is_paused_finishes_and_a_lost_lease_waits_for_the_resume()
    {
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["billing"]), Ct);
        await Store.AcceptAsync(Delivery("msg_2", handlers: ["billing"]), Ct);
        var claimed = await Store.ClaimAsync("a", 10, Lease, Ct);
        Assert.Equal(2, claimed.Count);
        await Store.SetHandlerPausedAsync("billing", paused: true, Ct);

        // The run in flight records its outcome as usual; the other's dispatcher died, and its expired lease is not
        // taken while the handler is paused.
        Assert.True(await Store.FailAsync(claimed[0], "downstream down", Time.GetUtcNow(), Ct));
        Time.Advance(Lease * 2);
        Assert.Empty(await Store.ClaimAsync("b", 10, Lease, Ct));

        await Store.SetHandlerPausedAsync("billing", paused: false, Ct);
        var again = await Store.ClaimAsync("b", 10, Lease, Ct);
        Assert.Equal([2, 2], again.Select(i => i.Attempt));
    }

    [Fact]
    public async Task Handler_states_count_unfinished_and_dead_pairs_and_show_the_newest_error()
    {
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["billing", "log"]), Ct);
        await Store.AcceptAsync(Delivery("msg_2", handlers: ["billing"]), Ct);
        await Store.AcceptAsync(Delivery("msg_3", handlers: ["billing"]), Ct);
        var claimed = (await Store.ClaimAsync("a", 10, Lease, Ct)).Where(i => i.Handler == "billing").OrderBy(i => i.WebhookId).ToList();
        Assert.True(await Store.FailAsync(claimed[0], "first error", retryAt: null, Ct));
        Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await Store.FailAsync(claimed[1], "second error", Time.GetUtcNow() + TimeSpan.FromHours(1), Ct));

        var states = await Store.GetHandlerStatesAsync(["log", "billing", "never-seen"], Ct);
        Assert.Equal(["log", "billing", "never-seen"], states.Select(s => s.Handler));
        Assert.Equal(new HandlerState("log", null, 0, 1, 0, null), states[0]);
        Assert.Equal(new HandlerState("billing", null, 1, 1, 1, "second error"), states[1]);
        Assert.Equal(new HandlerState("never-seen", null, 0, 0, 0, null), states[2]);
    }

    [Fact]
    public async Task A_claim_passes_over_the_handlers_it_is_asked_to_skip()
    {
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["slow", "fast"]), Ct);
        await Store.AcceptAsync(Delivery("msg_2", handlers: ["slow", "fast", "other"]), Ct);
        var claimed = await Store.ClaimAsync("a", 10, Lease, ["slow", "other"], Ct);
        Assert.Equal(["fast", "fast"], claimed.Select(i => i.Handler));
        Assert.Equal(3, (await Store.ClaimAsync("a", 10, Lease, [], Ct)).Count);
    }
}
