using System.Diagnostics;
using Npgsql;

namespace GeminiHooks.Tests.Support;

/// <summary>
/// The PostgreSQL server that scripts/test.sh starts (GEMINIHOOKS_TEST_POSTGRES), a fresh database per test on it,
/// and, for outage tests, clusters of their own (tests/scripts/postgres.sh with a private state folder), so stopping
/// one never disturbs tests running against the shared server.
/// </summary>
static class TestPostgres
{
    const string Variable = "GEMINIHOOKS_TEST_POSTGRES";

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set: run the suite with scripts/test.sh, or start a server first with eval \"$(tests/scripts/postgres.sh start)\".");

    public static async Task<string> CreateDatabaseAsync(string? serverConnectionString = null)
    {
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString ?? ServerConnectionString);
        var name = "gh_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        server.Database = name;
        return server.ConnectionString;
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A throwaway PostgreSQL cluster owned by one test.</summary>
sealed class OwnPostgresCluster : IAsyncDisposable
{
    readonly TempDirectory _state = new();

    public string ConnectionString { get; private set; } = "";

    public static async Task<OwnPostgresCluster> StartAsync()
    {
        var cluster = new OwnPostgresCluster();
        var export = await cluster.RunAsync("start");
        // export GEMINIHOOKS_TEST_POSTGRES='Host=...'
        cluster.ConnectionString = export.Trim().Split('\'')[1];
        return cluster;
    }

    /// <summary>Stops the server, keeping its data for <see cref="RestartAsync"/>.</summary>
    public Task StopAsync() => RunAsync("stop", "--keep");

    public Task RestartAsync() => RunAsync("start");

    public async ValueTask DisposeAsync()
    {
        try { await RunAsync("stop"); }
        finally { _state.Dispose(); }
    }

    async Task<string> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "tests", "scripts", "postgres.sh"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["GEMINIHOOKS_PG_STATE"] = _state.Path;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"postgres.sh {string.Join(' ', arguments)} failed: {await stderr}");
        return await stdout;
    }
}
