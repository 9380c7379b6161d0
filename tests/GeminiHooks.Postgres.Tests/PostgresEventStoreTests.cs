using System.Collections.Concurrent;
using System.Diagnostics;
using GeminiHooks.Hosting;
using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.TestSupport.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;

namespace GeminiHooks.Postgres.Tests;

/// <summary>
/// The contract on a real PostgreSQL server (GEMINIHOOKS_TEST_POSTGRES, started by tests/scripts/postgres.sh),
/// a new database per test; plus what only a server can show: notifications between instances, concurrent
/// migrations, and an outage in the middle of accepting.
/// </summary>
[Collection(SharedPostgresServer.Name)]
public sealed partial class PostgresEventStoreTests(ITestOutputHelper output) : EventStoreContractTests(output)
{
    string _database = "";

    // Short timeouts so that an unreachable server shows up as StoreUnavailableException within seconds.
    protected override string ConnectionString => new NpgsqlConnectionStringBuilder(_database)
    {
        Timeout = 3,
        CommandTimeout = 5,
    }.ConnectionString;

    protected override async Task CreateDatabaseAsync() => _database = await TestPostgres.CreateDatabaseAsync();

    protected override Task DropDatabaseAsync() => TestPostgres.DropDatabaseAsync(_database);

    protected override IEventStore NewStore(StoreOptions options, TimeProvider time) =>
        new PostgresEventStore(options, time, NullLogger<PostgresEventStore>.Instance);

    [Fact]
    public async Task An_accept_through_one_instance_wakes_a_waiter_on_another()
    {
        var other = await OpenStoreAsync();
        await DrainSignalAsync(other);
        var wait = other.WaitForWorkAsync(TimeSpan.FromHours(1), Ct);
        await Task.Delay(100, Ct);
        Assert.False(wait.IsCompleted);
        await Store.AcceptAsync(Delivery("msg_1"), Ct);
        await wait.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        // Replays notify as well.
        var item = Assert.Single(await other.ClaimAsync("w1", 1, TimeSpan.FromMinutes(1), Ct));
        Assert.True(await other.CompleteAsync(item, Ct));
        await DrainSignalAsync(other);
        wait = other.WaitForWorkAsync(TimeSpan.FromHours(1), Ct);
        Assert.Equal(1, await Store.ReplayAsync("static", "msg_1", ["log"], Ct));
        await wait.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public void A_connection_string_that_is_not_for_PostgreSQL_is_refused_with_a_clear_message()
    {
        var e = Assert.Throws<InvalidOperationException>(() => NewStore(new StoreOptions
        {
            Provider = "Postgres",
            ConnectionString = "Data Source=data/geminihooks.db",
        }, Time));
        Assert.Contains("not a PostgreSQL connection string", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replicas_starting_together_migrate_once()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => OpenStoreAsync(), Ct)));
        Assert.Equal(4, stores.Length);
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT COUNT(*), MAX(version) FROM schema_version", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal((9L, 9), (reader.GetInt64(0), reader.GetInt32(1))); // one row per migration, each applied once
    }

    [Fact]
    public async Task A_job_kept_as_a_search_key_before_migration_9_is_on_its_event_after_it()
    {
        await Store.AcceptAsync(Delivery("old_1", body: """{"type":"batch.succeeded","data":{"id":"batches/b9"}}"""u8.ToArray()), Ct);
        await Store.AcceptAsync(Delivery("old_2", body: """{"type":"batch.succeeded","data":{"id":"batches/b10"}}"""u8.ToArray()), Ct);
        // The database as migration 8 left it: each job an event_keys row, and no job column.
        await ExecuteAsync("""
            INSERT INTO event_keys (event_id, name, value) SELECT id, 'job', job FROM events;
            ALTER TABLE events DROP COLUMN job;
            DELETE FROM schema_version WHERE version = 9;
            """);

        var migrated = await OpenStoreAsync();
        var page = await migrated.ListEventsAsync(new EventQuery { Filter = new EventFilter { Job = "batches/b9" } }, Ct);
        Assert.Equal("old_1", Assert.Single(page.Events).WebhookId);
        Assert.Equal(0L, await ExecuteAsync("SELECT count(*) FROM event_keys WHERE name = 'job'"));
        Assert.Equal(9, await ExecuteAsync("SELECT max(version) FROM schema_version"));
    }

    async Task<object?> ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(Ct);
    }

    [Fact]
    public async Task The_factory_builds_the_store_from_options()
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(Time)
            .Configure<GeminiHooksOptions>(o =>
            {
                o.Store.Provider = PostgresEventStoreFactory.ProviderName;
                o.Store.ConnectionString = ConnectionString;
            })
            .AddGeminiHooksPostgres()
            .AddGeminiHooksPostgres()
            .BuildServiceProvider();
        await using (services)
        {
            var factory = Assert.Single(services.GetServices<Storage.IEventStoreFactory>());
            Assert.Equal("Postgres", factory.Provider);
            await using var store = factory.Create(services);
            Assert.IsType<PostgresEventStore>(store);
            await store.InitializeAsync(Ct);
            Assert.Equal(AcceptOutcome.Accepted, await store.AcceptAsync(Delivery("msg_factory"), Ct));
            Assert.Equal(AcceptOutcome.Duplicate, await Store.AcceptAsync(Delivery("msg_factory"), Ct));
        }
    }

    [Theory]
    [InlineData("stop", "--keep")] // a clean shutdown
    [InlineData("crash")]         // an immediate one: committed accepts must come back through crash recovery
    public async Task A_stopped_server_makes_accepts_fail_fast_and_the_same_store_recovers_when_it_is_back(params string[] stop)
    {
        await EnsureScriptOwnsServerAsync();
        var listener = await OpenStoreAsync();
        var accepted = new ConcurrentBag<string>();
        var unavailable = 0;
        using var stopLoad = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stopLoad.IsCancellationRequested; i++)
            {
                var id = $"load_{w}_{i}";
                try
                {
                    if (await Store.AcceptAsync(Delivery(id, handlers: ["a"]), Ct) == AcceptOutcome.Accepted)
                        accepted.Add(id);
                }
                catch (StoreUnavailableException)
                {
                    Interlocked.Increment(ref unavailable);
                    await Task.Delay(50, Ct);
                }
            }
        }, Ct)).ToArray();

        try
        {
            await Eventually.UntilAsync(() => accepted.Count >= 50, "50 accepts before the stop", TimeSpan.FromSeconds(20));
            await TestPostgres.RunScriptAsync(stop);

            var stopwatch = Stopwatch.StartNew();
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.AcceptAsync(Delivery("msg_outage"), Ct));
            Output.WriteLine($"accept with the server down failed after {stopwatch.ElapsedMilliseconds} ms");
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.PingAsync(Ct));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.CountAsync(Ct));
            await Eventually.UntilAsync(() => Volatile.Read(ref unavailable) > 0, "an accept answered unavailable", TimeSpan.FromSeconds(10));
        }
        finally
        {
            await TestPostgres.RunScriptAsync("start");
        }

        // The same instance, not re-created, serves again once PostgreSQL is back (the first attempts may still meet
        // connections that died with the server; the sender's retry is what the 503 asks for).
        var recovered = Stopwatch.StartNew();
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                return await Store.AcceptAsync(Delivery("msg_outage", handlers: ["a"]), Ct) == AcceptOutcome.Accepted;
            }
            catch (StoreUnavailableException)
            {
                return false;
            }
        }, "accepting again after the restart", TimeSpan.FromSeconds(15));
        Output.WriteLine($"accepting again {recovered.ElapsedMilliseconds} ms after the server was started");
        var acceptedBeforeRecovery = accepted.Count;
        await Eventually.UntilAsync(() => accepted.Count > acceptedBeforeRecovery + 20, "20 more accepts after recovery", TimeSpan.FromSeconds(15));
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);

        Output.WriteLine($"{accepted.Count} accepted, {unavailable} answered unavailable");

        // The other instance's listener reconnected by itself: accepts here wake its waiters again. Its reconnect
        // wakes it once on its own, so only several wake-ups in a row, each right after an accept, show notifications.
        var inARow = 0;
        await Eventually.UntilAsync(async () =>
        {
            await DrainSignalAsync(listener);
            var wait = listener.WaitForWorkAsync(TimeSpan.FromHours(1), Ct);
            await Store.AcceptAsync(Delivery($"msg_notify_{Guid.NewGuid():N}", handlers: ["a"]), Ct);
            var woke = await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(1), Ct)) == wait;
            inARow = woke ? inARow + 1 : 0;
            return inARow == 3;
        }, "three wake-ups in a row, each right after an accept", TimeSpan.FromSeconds(20));

        foreach (var id in accepted)
            Assert.NotNull(await Store.GetEventAsync("static", id, Ct));
        var counts = await Store.CountAsync(Ct);
        Assert.True(counts.Pending >= accepted.Count + 4, $"{counts.Pending} pending pairs for {accepted.Count + 4} accepts");
        await Store.PingAsync(Ct);
    }

    static async Task EnsureScriptOwnsServerAsync()
    {
        var env = await TestPostgres.RunScriptAsync("env");
        var port = new NpgsqlConnectionStringBuilder(TestPostgres.ServerConnectionString).Port;
        if (!env.Contains($"Port={port};", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The outage test stops and starts the server through tests/scripts/postgres.sh, but {TestPostgres.Variable} names " +
                $"another server (script says: {env.Trim()}).");
        }
    }
}
