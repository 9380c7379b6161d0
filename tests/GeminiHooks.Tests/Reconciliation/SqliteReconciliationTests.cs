using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeminiHooks.Tests.Reconciliation;

/// <summary>The reconciliation contract on a real SQLite file.</summary>
public sealed class SqliteReconciliationTests : ReconciliationContractTests
{
    readonly TempDirectory _directory = new();

    protected override async Task<IEventStore> CreateStoreAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        var store = new GeminiHooks.Storage.Sqlite.SqliteEventStore(
            new StoreOptions { ConnectionString = $"Data Source={_directory.File("events.db")}" }, time,
            NullLogger<GeminiHooks.Storage.Sqlite.SqliteEventStore>.Instance);
        await store.InitializeAsync(cancellationToken);
        return store;
    }

    protected override Task DropAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}
