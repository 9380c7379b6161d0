using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Tests.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeminiHooks.Postgres.Tests;

/// <summary>The reconciliation contract on a real PostgreSQL server, a new database per test.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresReconciliationTests : ReconciliationContractTests
{
    string _database = "";

    protected override async Task<IEventStore> CreateStoreAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        if (_database.Length == 0)
            _database = await TestPostgres.CreateDatabaseAsync();
        var store = new PostgresEventStore(new StoreOptions { ConnectionString = _database }, time, NullLogger<PostgresEventStore>.Instance);
        await store.InitializeAsync(cancellationToken);
        return store;
    }

    protected override Task DropAsync() => TestPostgres.DropDatabaseAsync(_database);
}
