using System.Diagnostics;
using Npgsql;

namespace GeminiHooks.TestSupport;

/// <summary>
/// The PostgreSQL server that scripts/test.sh starts (GEMINIHOOKS_TEST_POSTGRES), a fresh database per test on it,
/// and, for outage tests, clusters of their own (tests/scripts/postgres.sh with a private state folder), so stopping
/// one never disturbs tests running against the shared server.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "GEMINIHOOKS_TEST_POSTGRES";

    /// <summary>The shared server; these tests never skip, so a missing server is a failure that says what to run.</summary>
    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set: run the suite with scripts/test.sh, or start a server first with eval \"$(tests/scripts/postgres.sh start)\".");

    /// <summary>Creates an empty database on the server; answers its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string? serverConnectionString = null)
    {
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString ?? ServerConnectionString);
        var name = "gh_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = AdminConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        server.Database = name;
        return server.ConnectionString;
    }

    /// <summary>Drops the database <paramref name="connectionString"/> names, closing whatever still uses it.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        if (string.IsNullOrEmpty(name))
            return;
        await using var connection = AdminConnection(connectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs tests/scripts/postgres.sh (start, stop, crash, env) on the shared server; answers what it printed.</summary>
    public static Task<string> RunScriptAsync(params string[] arguments) => RunAsync(stateFolder: null, arguments);

    /// <summary>Runs tests/scripts/postgres.sh on the cluster kept in <paramref name="stateFolder"/>.</summary>
    public static Task<string> RunClusterScriptAsync(string stateFolder, params string[] arguments) => RunAsync(stateFolder, arguments);

    static async Task<string> RunAsync(string? stateFolder, string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "tests", "scripts", "postgres.sh"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        if (stateFolder is not null)
            start.Environment["GEMINIHOOKS_PG_STATE"] = stateFolder;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"postgres.sh {string.Join(' ', arguments)} failed: {await stderr}");
        return await stdout;
    }

    /// <summary>Unpooled and on the maintenance database, so a connection that died with a stopped server is never reused.</summary>
    static NpgsqlConnection AdminConnection(string connectionString) => new(new NpgsqlConnectionStringBuilder(connectionString)
    {
        Database = "postgres",
        Pooling = false,
    }.ConnectionString);
}

/// <summary>A throwaway PostgreSQL cluster owned by one test.</summary>
public sealed class OwnPostgresCluster : IAsyncDisposable
{
    readonly TempDirectory _state = new();

    public string ConnectionString { get; private set; } = "";

    public static async Task<OwnPostgresCluster> StartAsync()
    {
        var cluster = new OwnPostgresCluster();
        var export = await TestPostgres.RunClusterScriptAsync(cluster._state.Path, "start");
        // export GEMINIHOOKS_TEST_POSTGRES='Host=...'
        cluster.ConnectionString = export.Trim().Split('\'')[1];
        return cluster;
    }

    /// <summary>Stops the server, keeping its data for <see cref="RestartAsync"/>.</summary>
    public Task StopAsync() => TestPostgres.RunClusterScriptAsync(_state.Path, "stop", "--keep");

    public Task RestartAsync() => TestPostgres.RunClusterScriptAsync(_state.Path, "start");

    public async ValueTask DisposeAsync()
    {
        try { await TestPostgres.RunClusterScriptAsync(_state.Path, "stop"); }
        finally { _state.Dispose(); }
    }
}
