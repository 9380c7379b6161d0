using GeminiHooks.Storage;

namespace GeminiHooks.TestSupport.Storage;

/// <summary>
/// Circuit breakers live in the database: every instance leaves an open handler's pairs alone (spending no attempts),
/// exactly one instance takes the single probe after the break, and the probe's outcome closes or re-opens it.
/// </summary>
public abstract partial class EventStoreContractTests
{
    static readonly TimeSpan Break = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_circuit_opens_at_the_threshold_holds_on_every_instance_probes_once_and_closes_on_success()
    {
        var replica = await OpenStoreAsync();
        for (var i = 0; i < 4; i++)
            await Store.AcceptAsync(Delivery($"msg_{i}", handlers: ["billing"]), Ct);

        // Two failures in a row: still closed. A success forgets them; then three in a row open it.
        await Store.RecordHandlerRunAsync("billing", succeeded: false, 3, Break, Ct);
        await Store.RecordHandlerRunAsync("billing", succeeded: false, 3, Break, Ct);
        await replica.RecordHandlerRunAsync("billing", succeeded: true, 3, Break, Ct);
        Assert.Equal((HandlerState.Closed, 0), await CircuitAsync(Store));
        for (var i = 0; i < 3; i++)
            await replica.RecordHandlerRunAsync("billing", succeeded: false, 3, Break, Ct);
        Assert.Equal((HandlerState.Open, 3), await CircuitAsync(Store));
        var opened = Time.GetUtcNow();

        // Open: no instance claims its pairs, and an idle dispatcher sleeps until the break ends.
        Assert.Empty(await Store.ClaimAsync("a", 10, Lease, Ct));
        Assert.Empty(await replica.ClaimAsync("b", 10, Lease, Ct));
        Assert.Equal(opened + Break, await replica.NextDueAsync(Ct));
        Time.Advance(Break - TimeSpan.FromSeconds(1));
        Assert.Empty(await Store.ClaimAsync("a", 10, Lease, Ct));

        // After the break: one probe, one pair, on one instance; the circuit is half open until the probe decides.
        Time.Advance(TimeSpan.FromSeconds(1));
        var probe = Assert.Single(await Store.ClaimAsync("a", 10, Lease, Ct));
        Assert.Equal(("billing", 1), (probe.Handler, probe.Attempt));
        Assert.Empty(await replica.ClaimAsync("b", 10, Lease, Ct));
        Assert.Equal(HandlerState.HalfOpen, (await CircuitAsync(replica)).Circuit);

        // The probe fails: open again for another break, and still nothing is claimed.
        Assert.True(await Store.FailAsync(probe, "still down", Time.GetUtcNow(), Ct));
        await Store.RecordHandlerRunAsync("billing", succeeded: false, 3, Break, Ct);
        Assert.Equal(HandlerState.Open, (await CircuitAsync(replica)).Circuit);
        Assert.Empty(await replica.ClaimAsync("b", 10, Lease, Ct));

        // The next probe succeeds: closed, and every pair is claimable, the unprobed ones on their first attempt.
        Time.Advance(Break);
        probe = Assert.Single(await replica.ClaimAsync("b", 10, Lease, Ct));
        Assert.True(await replica.CompleteAsync(probe, Ct));
        await replica.RecordHandlerRunAsync("billing", succeeded: true, 3, Break, Ct);
        Assert.Equal((HandlerState.Closed, 0), await CircuitAsync(Store));
        var rest = await Store.ClaimAsync("a", 10, Lease, Ct);
        Assert.Equal(3, rest.Count);
        Assert.Equal(2, rest.Count(i => i.Attempt == 1));
    }

    [Fact]
    public async Task An_open_circuit_with_nothing_due_does_not_keep_a_dispatcher_awake_and_a_lost_probe_is_retaken()
    {
        await Store.RecordHandlerRunAsync("billing", succeeded: false, 1, Break, Ct);
        Time.Advance(Break * 2);
        Assert.Null(await Store.NextDueAsync(Ct));
        Assert.Empty(await Store.ClaimAsync("a", 10, Lease, Ct));

        // A pair arrives: probed at once (the break is over); its dispatcher dies, and after the lease another probes.
        await Store.AcceptAsync(Delivery("msg_1", handlers: ["billing"]), Ct);
        Assert.Equal(Time.GetUtcNow(), await Store.NextDueAsync(Ct));
        Assert.Single(await Store.ClaimAsync("a", 10, Lease, Ct));
        Assert.Empty(await Store.ClaimAsync("b", 10, Lease, Ct));
        Time.Advance(Lease);
        var again = Assert.Single(await Store.ClaimAsync("b", 10, Lease, Ct));
        Assert.Equal(2, again.Attempt);
    }

    async Task<(string Circuit, int Failures)> CircuitAsync(IEventStore store)
    {
        var state = Assert.Single(await store.GetHandlerStatesAsync(["billing"], Ct));
        return (state.Circuit, state.Failures);
    }
}
