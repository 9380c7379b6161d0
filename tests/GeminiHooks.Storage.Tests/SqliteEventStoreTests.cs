using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace GeminiHooks.Storage.Tests;

/// <summary>The contract on a real SQLite file, a new one per test.</summary>
public sealed class SqliteEventStoreTests(ITestOutputHelper output) : EventStoreContractTests(output)
{
    readonly string _directory = Path.Combine(Path.GetTempPath(), "geminihooks-store-tests", Guid.NewGuid().ToString("N"));

    protected override string ConnectionString => $"Data Source={Path.Combine(_directory, "events.db")}";

    protected override Task CreateDatabaseAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    protected override Task DropDatabaseAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    protected override IEventStore NewStore(StoreOptions options, TimeProvider time) =>
        new SqliteEventStore(options, time, NullLogger<SqliteEventStore>.Instance);
}
