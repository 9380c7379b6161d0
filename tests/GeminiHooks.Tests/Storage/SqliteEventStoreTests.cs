using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using GeminiHooks.TestSupport.Storage;
using Microsoft.Data.Sqlite;
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

    [Fact]
    public async Task The_write_ahead_log_is_checkpointed_every_4000_pages_not_SQLites_default_1000()
    {
        var file = _directory.File("wal.db");
        await using var store = NewStore(new StoreOptions { ConnectionString = $"Data Source={file}" }, Time);
        await store.InitializeAsync(Ct);
        // About 2,000 pages of events: past the default's 1,000 pages, short of 4,000.
        var body = System.Text.Encoding.UTF8.GetBytes($$"""{"type":"test","pad":"{{new string('x', 4000)}}"}""");
        for (var chunk = 0; chunk < 20; chunk++)
            await Task.WhenAll(Enumerable.Range(0, 100).Select(i => store.AcceptAsync(Delivery($"msg_{chunk}_{i}", body: body), Ct)));

        // Checkpointed every 1,000 pages, the log would start over from its beginning and stay near 4 MB.
        var log = new FileInfo(file + "-wal").Length;
        Assert.True(log > 6_000_000, $"log of {log} bytes");
    }

    [Fact]
    public async Task A_job_kept_as_a_search_key_before_migration_9_is_on_its_event_after_it()
    {
        var file = _directory.File("from-8.db");
        var options = new StoreOptions { ConnectionString = $"Data Source={file}" };
        await using (var store = NewStore(options, Time))
        {
            await store.InitializeAsync(Ct);
            await store.AcceptAsync(Delivery("old_1", body: """{"type":"batch.succeeded","data":{"id":"batches/b9"}}"""u8.ToArray()), Ct);
            await store.AcceptAsync(Delivery("old_2", body: """{"type":"batch.succeeded","data":{"id":"batches/b10"}}"""u8.ToArray()), Ct);
        }
        // The file as migration 8 left it: each job an event_keys row, and no job column.
        await ExecuteAsync(file, "INSERT INTO event_keys (event_id, name, value) SELECT id, 'job', job FROM events");
        await ExecuteAsync(file, "DROP INDEX events_job");
        await ExecuteAsync(file, "ALTER TABLE events DROP COLUMN job");
        await ExecuteAsync(file, "PRAGMA user_version = 8");
        // A process upgraded from migration 8 starts with no open connections; this one must not reuse the first store's.
        SqliteConnection.ClearAllPools();

        await using var migrated = NewStore(options, Time);
        await migrated.InitializeAsync(Ct);
        var page = await migrated.ListEventsAsync(new EventQuery { Filter = new EventFilter { Job = "batches/b9" } }, Ct);
        Assert.Equal("old_1", Assert.Single(page.Events).WebhookId);
        Assert.Equal(0L, await ExecuteAsync(file, "SELECT count(*) FROM event_keys WHERE name = 'job'"));
        Assert.Equal(9L, await ExecuteAsync(file, "PRAGMA user_version"));
    }

    async Task<object?> ExecuteAsync(string file, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Pooling=false");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Ct);
    }
}
