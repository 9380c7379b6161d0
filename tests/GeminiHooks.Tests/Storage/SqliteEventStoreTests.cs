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

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_new_database_and_its_folder_are_private_to_the_service_user()
    {
        var folder = _directory.File("new/nested");
        var file = Path.Combine(folder, "events.db");
        await using var store = NewStore(new StoreOptions { ConnectionString = $"Data Source={file}" }, Time);
        await store.InitializeAsync(Ct);
        await store.AcceptAsync(Delivery("msg_1"), Ct);

        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(Private | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Equal(Private, File.GetUnixFileMode(file));
        // SQLite gives its write-ahead log the mode of the database file.
        Assert.Equal(Private, File.GetUnixFileMode(file + "-wal"));
    }
}
