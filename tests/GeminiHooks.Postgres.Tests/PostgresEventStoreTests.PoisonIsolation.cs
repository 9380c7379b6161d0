using Npgsql;

using GeminiHooks.Storage;

namespace GeminiHooks.Postgres.Tests;

/// <summary>
/// A row PostgreSQL refuses fails that delivery alone. The refusal here is a real one from the server: a CHECK
/// constraint the test adds (SQLSTATE 23514), standing for any data error a value can cause.
/// </summary>
public sealed partial class PostgresEventStoreTests
{
    [Fact]
    public async Task A_delivery_the_server_refuses_fails_alone_and_its_batch_neighbours_are_stored()
    {
        await using var admin = new NpgsqlConnection(ConnectionString);
        await admin.OpenAsync(Ct);
        await using (var refuse = new NpgsqlCommand("ALTER TABLE events ADD CONSTRAINT refuse_poison CHECK (type <> 'poison')", admin))
            await refuse.ExecuteNonQueryAsync(Ct);

        // Hold the table so the writer blocks on a first accept; everything queued meanwhile then forms one batch.
        var blocker = await admin.BeginTransactionAsync(Ct);
        await using (var hold = new NpgsqlCommand("LOCK TABLE events IN EXCLUSIVE MODE", admin, blocker))
            await hold.ExecuteNonQueryAsync(Ct);
        var first = Task.Run(() => Store.AcceptAsync(Delivery("msg_first"), Ct), Ct);
        await Task.Delay(300, Ct);
        var innocent = Enumerable.Range(0, 30).Select(i => Task.Run(() => Store.AcceptAsync(Delivery($"msg_{i}"), Ct), Ct)).ToList();
        var poison = Task.Run(() => Store.AcceptAsync(Delivery("msg_poison", type: "poison"), Ct), Ct);
        await Task.Delay(300, Ct);
        await blocker.RollbackAsync(Ct);

        var rejected = await Assert.ThrowsAsync<StoreRejectedException>(() => poison);
        Assert.Equal("23514", Assert.IsType<PostgresException>(rejected.InnerException).SqlState);
        Assert.Equal(AcceptOutcome.Accepted, await first);
        Assert.All(await Task.WhenAll(innocent), o => Assert.Equal(AcceptOutcome.Accepted, o));
        Assert.Equal(31, (await Store.ListEventsAsync(new EventQuery(Limit: 100), Ct)).Events.Count);
        Assert.Null(await Store.GetEventAsync("static", "msg_poison", Ct));

        // Refused every time, never "unavailable", and the store keeps serving.
        await Assert.ThrowsAsync<StoreRejectedException>(() => Store.AcceptAsync(Delivery("msg_poison", type: "poison"), Ct));
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("msg_after"), Ct));
    }
}
