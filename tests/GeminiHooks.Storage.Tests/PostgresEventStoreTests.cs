using System.Collections.Concurrent;
using System.Diagnostics;
using GeminiHooks.Hosting;
using GeminiHooks.Configuration;
using GeminiHooks.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;

namespace GeminiHooks.Storage.Tests;

/// <summary>
/// The contract on a real PostgreSQL server (GEMINIHOOKS_TEST_POSTGRES, started by tests/scripts/postgres.sh),
/// a new database per test; plus what only a server can show: notifications between instances, concurrent
/// migrations, and an outage in the middle of accepting.
/// </summary>
public sealed class PostgresEventStoreTests(ITestOutputHelper output) : EventStoreContractTests(output)
{
    public const string Variable = "GEMINIHOOKS_TEST_POSTGRES";

    readonly string _database = "geminihooks_" + Guid.NewGuid().ToString("N")[..16];

    static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set, so the PostgreSQL store cannot be tested. These tests never skip: run them with " +
                "tests/scripts/test-storage.sh, or start the throwaway server first with eval \"$(tests/scripts/postgres.sh start)\".");

    // Short timeouts so that an unreachable server shows up as StoreUnavailableException within seconds.
    protected override string ConnectionString => new NpgsqlConnectionStringBuilder(ServerConnectionString)
    {
        Database = _database,
        Timeout = 3,
        CommandTimeout = 5,
    }.ConnectionString;

    /// <summary>Unpooled, so a connection that died with the server in the outage test is never handed out again.</summary>
    static NpgsqlConnection AdminConnection() => new(new NpgsqlConnectionStringBuilder(ServerConnectionString)
    {
        Database = "postgres",
        Pooling = false,
    }.ConnectionString);

    protected override async Task CreateDatabaseAsync()
    {
        await using var connection = AdminConnection();
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task DropDatabaseAsync()
    {
        await using var connection = AdminConnection();
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

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
        Assert.Equal((1L, 1), (reader.GetInt64(0), reader.GetInt32(1)));
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
            await WaitUntilAsync(() => accepted.Count >= 50, TimeSpan.FromSeconds(20));
            await RunScriptAsync(stop);

            var stopwatch = Stopwatch.StartNew();
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.AcceptAsync(Delivery("msg_outage"), Ct));
            Output.WriteLine($"accept with the server down failed after {stopwatch.ElapsedMilliseconds} ms");
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.PingAsync(Ct));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.CountAsync(Ct));
            await WaitUntilAsync(() => Volatile.Read(ref unavailable) > 0, TimeSpan.FromSeconds(10));
        }
        finally
        {
            await RunScriptAsync("start");
        }

        // The same instance, not re-created, serves again once PostgreSQL is back (the first attempts may still meet
        // connections that died with the server; the sender's retry is what the 503 asks for).
        var recovered = Stopwatch.StartNew();
        await WaitUntilAsync(async () =>
        {
            try
            {
                return await Store.AcceptAsync(Delivery("msg_outage", handlers: ["a"]), Ct) == AcceptOutcome.Accepted;
            }
            catch (StoreUnavailableException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15));
        Output.WriteLine($"accepting again {recovered.ElapsedMilliseconds} ms after the server was started");
        var acceptedBeforeRecovery = accepted.Count;
        await WaitUntilAsync(() => accepted.Count > acceptedBeforeRecovery + 20, TimeSpan.FromSeconds(15));
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);

        Output.WriteLine($"{accepted.Count} accepted, {unavailable} answered unavailable");

        // The other instance's listener reconnected by itself: accepts here wake its waiters again. Its reconnect
        // wakes it once on its own, so only several wake-ups in a row, each right after an accept, show notifications.
        var inARow = 0;
        await WaitUntilAsync(async () =>
        {
            await DrainSignalAsync(listener);
            var wait = listener.WaitForWorkAsync(TimeSpan.FromHours(1), Ct);
            await Store.AcceptAsync(Delivery($"msg_notify_{Guid.NewGuid():N}", handlers: ["a"]), Ct);
            var woke = await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(1), Ct)) == wait;
            inARow = woke ? inARow + 1 : 0;
            return inARow == 3;
        }, TimeSpan.FromSeconds(20));

        foreach (var id in accepted)
            Assert.NotNull(await Store.GetEventAsync("static", id, Ct));
        var counts = await Store.CountAsync(Ct);
        Assert.True(counts.Pending >= accepted.Count + 4, $"{counts.Pending} pending pairs for {accepted.Count + 4} accepts");
        await Store.PingAsync(Ct);
    }

    static async Task EnsureScriptOwnsServerAsync()
    {
        var env = await RunScriptAsync("env");
        var port = new NpgsqlConnectionStringBuilder(ServerConnectionString).Port;
        if (!env.Contains($"Port={port};", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The outage test stops and starts the server through tests/scripts/postgres.sh, but {Variable} names " +
                $"another server (script says: {env.Trim()}).");
        }
    }

    static async Task<string> RunScriptAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "tests", "scripts", "postgres.sh"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"postgres.sh {string.Join(' ', arguments)} failed: {await stderr}");
        return await stdout;
    }

    static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GeminiHooks.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException("GeminiHooks.sln not found above " + AppContext.BaseDirectory);
    }

    static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout);

    static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (stopwatch.Elapsed > timeout)
                throw new TimeoutException($"Condition not met within {timeout}.");
            await Task.Delay(50);
        }
    }
}
