using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeminiHooks.Tests.Notifications;

/// <summary>The notification contract on a SQLite file.</summary>
public sealed class SqliteNotificationTests : NotificationContractTests
{
    readonly TempDirectory _dir = new();

    protected override async Task<IEventStore> CreateStoreAsync(TimeProvider time)
    {
        var store = new SqliteEventStore(new StoreOptions { ConnectionString = $"Data Source={_dir.File("events.db")}" }, time,
            NullLogger<SqliteEventStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    protected override Task DropAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
