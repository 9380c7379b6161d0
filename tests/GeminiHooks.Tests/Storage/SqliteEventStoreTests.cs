using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using GeminiHooks.TestSupport.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace GeminiHooks.Tests.Storage;

/// <summary>The contract on a real SQLite file, a new one per test.</summary>
public sealed class SqliteEventStoreTests(ITestOutputHelper output) : EventStoreContractTests(output)
{
    readonly TempDirectory _directory = new();

    protected override string ConnectionString => $"Data Source={_directory.File("events.db")}";

    protected override Task CreateDatabaseAsync() => Task.CompletedTask;

    protected override Task DropDatabaseAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    protected override IEventStore NewStore(StoreOptions options, TimeProvider time) =>
        new SqliteEventStore(options, time, NullLogger<SqliteEventStore>.Instance);
}
