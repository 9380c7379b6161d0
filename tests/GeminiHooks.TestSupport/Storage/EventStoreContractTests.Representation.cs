using System.Text;

using GeminiHooks.Storage;

namespace GeminiHooks.TestSupport.Storage;

/// <summary>
/// Unusual text, the same answer from every store: what a text column cannot hold is stored replaced (the body keeps
/// the exact bytes), a key that cannot be stored is refused for that delivery alone, and a stored key is found by a
/// read that does not queue behind the writes.
/// </summary>
public abstract partial class EventStoreContractTests
{
    [Fact]
    public async Task A_type_with_NUL_or_a_lone_surrogate_is_stored_with_replacement_characters_beside_innocent_deliveries()
    {
        var poisonBody = Encoding.UTF8.GetBytes("""{"id":"poison","type":"batch.\u0000x"}""");
        var deliveries = Enumerable.Range(0, 30).Select(i => Delivery($"msg_{i}"))
            .Append(Delivery("poison_nul", type: "batch.\0x", body: poisonBody))
            .Append(Delivery("poison_surrogate", type: "batch.\ud800"))
            .ToList();

        // Concurrent, so they share group commits.
        var outcomes = await Task.WhenAll(deliveries.Select(d => Task.Run(() => Store.AcceptAsync(d, Ct), Ct)));

        Assert.All(outcomes, o => Assert.Equal(AcceptOutcome.Accepted, o));
        var nul = await GetAsync(Store, "poison_nul");
        Assert.Equal("batch.\uFFFDx", nul.EventType);
        Assert.Equal(poisonBody, nul.Body!.Value.ToArray());
        Assert.Equal("batch.\uFFFD", (await GetAsync(Store, "poison_surrogate")).EventType);
        Assert.Equal(32, (await Store.ListEventsAsync(new EventQuery(Limit: 100), Ct)).Events.Count);
        Assert.Equal(AcceptOutcome.Duplicate, await Store.AcceptAsync(Delivery("poison_nul", type: "batch.\0x"), Ct));
        var listed = Assert.Single((await Store.ListEventsAsync(new EventQuery(EventType: "batch.\0x"), Ct)).Events);
        Assert.Equal("poison_nul", listed.WebhookId);
    }

    [Fact]
    public async Task A_webhook_id_with_NUL_is_rejected_alone()
    {
        var innocent = Enumerable.Range(0, 20).Select(i => Task.Run(() => Store.AcceptAsync(Delivery($"msg_{i}"), Ct), Ct)).ToList();
        var poison = Task.Run(() => Store.AcceptAsync(Delivery("msg_\0"), Ct), Ct);

        await Assert.ThrowsAsync<StoreRejectedException>(() => poison);
        Assert.All(await Task.WhenAll(innocent), o => Assert.Equal(AcceptOutcome.Accepted, o));
        Assert.Equal(20, (await Store.ListEventsAsync(new EventQuery(Limit: 100), Ct)).Events.Count);
    }

    [Fact]
    public async Task A_failure_message_with_NUL_is_recorded_with_a_replacement_character()
    {
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["a"]), Ct);
        var item = Assert.Single(await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));

        Assert.True(await Store.FailAsync(item, "boom\0 \udc00", retryAt: null, Ct));

        var run = Assert.Single((await GetAsync(Store, "msg_1")).Handlers);
        Assert.Equal(RunStatus.Dead, run.Status);
        Assert.Equal("boom\uFFFD \uFFFD", run.LastError);
    }

    [Fact]
    public async Task A_key_the_store_cannot_hold_is_never_found()
    {
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("msg_1"), Ct));
        Assert.Null(await Store.GetEventAsync("static", "msg_\0", Ct));
        Assert.Null(await Store.ReplayAsync("static", "msg_\0", ["log"], Ct));
    }
}
