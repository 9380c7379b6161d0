using System.Data;
using System.Data.Common;
using GeminiHooks.Configuration;
using GeminiHooks.Files;
using GeminiHooks.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a commit is on disk when it returns.
/// All writes go through one connection under one lock (SQLite has a single writer anyway), and accepts and run
/// outcomes share one group-commit queue: one transaction and one sync per batch of both. Reads use pooled connections
/// of their own and never wait for the writer. Times are stored as Unix milliseconds.
/// </summary>
sealed class SqliteEventStore : RelationalEventStore
{
    readonly string _connectionString;
    readonly string? _file; // null for an in-memory database
    readonly SemaphoreSlim _writeLock = new(1, 1);
    SqliteConnection? _writer;

    public SqliteEventStore(StoreOptions options, TimeProvider time, ILogger<SqliteEventStore> logger) : base(options, time, logger)
    {
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        if (builder.DataSource is not (":memory:" or ""))
            _file = Path.GetFullPath(builder.DataSource);
        if (!options.ConnectionString.Contains("Default Timeout", StringComparison.OrdinalIgnoreCase))
            builder.DefaultTimeout = 5; // seconds a write waits for a lock held elsewhere before the store counts as unavailable
        builder.Pooling = true;
        _connectionString = builder.ToString();
    }

    protected override bool HasSingleWriter => true;

    protected override async Task InitializeDatabaseAsync(CancellationToken cancellationToken)
    {
        // Created before SQLite opens it, private to the service's user (SQLite would apply the umask, usually
        // world-readable, and gives its -wal and -shm files the mode of the database file). An existing file or folder
        // keeps the mode the operator gave it.
        if (_file is not null && !File.Exists(_file))
        {
            using (PrivateFiles.Open(_file, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
            {
            }
        }
        var writer = new SqliteConnection(_connectionString);
        try
        {
            await writer.OpenAsync(cancellationToken);
            using (var pragmas = writer.CreateCommand())
            {
                // A checkpoint every 4,000 log pages (16 MB) instead of SQLite's 1,000: each commit rewrites the last
                // page of every index it adds to, and a checkpoint copies a page once however often the log holds it,
                // so a longer log copies fewer pages per accept (measured in bench/results.md).
                pragmas.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=4000;";
                await pragmas.ExecuteNonQueryAsync(cancellationToken);
            }
            await SqliteSchema.MigrateAsync(writer, cancellationToken);
        }
        catch
        {
            await writer.DisposeAsync();
            throw;
        }
        _writer = writer;
    }

    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Every write runs on the one writer connection, under the write lock.</summary>
    protected override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction?, Task<T>> work, bool singleStatement,
        CancellationToken cancellationToken)
    {
        var writer = _writer ?? throw new InvalidOperationException("InitializeAsync has not run.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (singleStatement)
                return await work(writer, null);
            await using var transaction = await writer.BeginTransactionAsync(cancellationToken);
            var result = await work(writer, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    protected override async ValueTask DisposeDatabaseAsync()
    {
        if (_writer is not null)
            await _writer.DisposeAsync();
        _writeLock.Dispose();
    }

    // SQLite stores any text and any blob, so the only data it refuses is what breaks a constraint or a size limit.
    protected override bool IsDataError(Exception exception) => exception is SqliteException e
        && e.SqliteErrorCode is SQLitePCL.raw.SQLITE_CONSTRAINT or SQLitePCL.raw.SQLITE_TOOBIG or SQLitePCL.raw.SQLITE_MISMATCH;

    // A file that cannot be written, a lock held too long, a full disk; InvalidOperationException: the writer was closed.
    protected override bool IsUnavailable(Exception exception) =>
        exception is SqliteException or IOException or UnauthorizedAccessException or InvalidOperationException;

    protected override void SetTime(DbParameter parameter, DateTimeOffset value)
    {
        parameter.DbType = DbType.Int64;
        parameter.Value = value.ToUnixTimeMilliseconds();
    }

    protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    // No RETURNING: SQLite runs it as a trigger, and an insert with one keeps a statement journal of every page it
    // changes, which in a batch of accepts spilled to a temporary file (about as many writes as the log itself). A plain
    // insert needs none; the id is the connection's last inserted rowid, read right after on the one writer.
    protected override string InsertedIdClause => "";

    protected override async Task<long?> InsertEventAsync(DbCommand insert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(insert);
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            return null;
        return SQLitePCL.raw.sqlite3_last_insert_rowid(((SqliteConnection)insert.Connection!).Handle);
    }

    // instr on two blobs compares bytes, so the body is searched as stored, whatever its encoding.
    protected override string BodyContainsSql => "instr(body, @text) > 0";

    // A running pair's next_attempt_at is its lease expiry, so the due index finds both due pending pairs and pairs
    // whose dispatcher died. One ordered range per status, each already in next_attempt_at order and cut at @max, then
    // merged: "status IN (...) ORDER BY next_attempt_at" sorted every due pair on each claim, which with a backlog of
    // 100k pairs made claiming the dispatcher's bottleneck. RETURNING cannot join, so the event's columns come from
    // primary-key lookups.
    protected override string ClaimSql(string handlerFilter) => $"""
        UPDATE handler_runs
        SET status = 'running', attempts = attempts + 1, lease_owner = @owner, next_attempt_at = @until, updated_at = @now
        WHERE rowid IN (
            SELECT id FROM (
                SELECT * FROM (
                    SELECT rowid AS id, next_attempt_at AS due FROM handler_runs
                    WHERE status = 'pending' AND next_attempt_at <= @now AND {handlerFilter} ORDER BY next_attempt_at LIMIT @max)
                UNION ALL
                SELECT * FROM (
                    SELECT rowid AS id, next_attempt_at AS due FROM handler_runs
                    WHERE status = 'running' AND next_attempt_at <= @now AND {handlerFilter} ORDER BY next_attempt_at LIMIT @max))
            ORDER BY due LIMIT @max)
        RETURNING event_id, handler, attempts,
            (SELECT endpoint FROM events WHERE id = event_id), (SELECT webhook_id FROM events WHERE id = event_id),
            (SELECT webhook_timestamp FROM events WHERE id = event_id), (SELECT received_at FROM events WHERE id = event_id),
            (SELECT type FROM events WHERE id = event_id), (SELECT body FROM events WHERE id = event_id)
        """;

    // One ordered range per status on handler_runs_due (status, next_attempt_at): the first row that is not paused. With
    // no paused handler that is the first row of each range, as MIN was.
    protected override string NextDueSql(string handlerFilter) => $"""
        SELECT MIN(due) FROM (
            SELECT * FROM (SELECT next_attempt_at AS due FROM handler_runs
                           WHERE status = 'pending' AND {handlerFilter} ORDER BY next_attempt_at LIMIT 1)
            UNION ALL
            SELECT * FROM (SELECT next_attempt_at AS due FROM handler_runs
                           WHERE status = 'running' AND {handlerFilter} ORDER BY next_attempt_at LIMIT 1))
        """;
}
