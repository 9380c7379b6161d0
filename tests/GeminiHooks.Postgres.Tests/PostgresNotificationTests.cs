using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Tests.Notifications;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeminiHooks.Postgres.Tests;

/// <summary>The notification contract on a real PostgreSQL server, a new database per test.</summary>
[Collection(SharedPostgresServer.Name)]
public sealed class PostgresNotificationTests : NotificationContractTests
{
    string _database = "";

    protected override async Task<IEventStore> CreateStoreAsync(TimeProvider time)
    {
        if (_database.Length == 0)
            _database = await TestPostgres.CreateDatabaseAsync();
        var store = new PostgresEventStore(new StoreOptions { ConnectionString = _database }, time, NullLogger<PostgresEventStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override Task DropAsync() => _database.Length == 0 ? Task.CompletedTask : TestPostgres.DropDatabaseAsync(_database);
}
