using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using GeminiHooks.Configuration;
using GeminiHooks.Storage.Relational;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace GeminiHooks.Postgres;

/// <summary>
/// The shared store: one PostgreSQL database that several replicas use at once. Idempotency across replicas comes from
/// the unique (endpoint, webhook_id) index; a commit is durable when it returns (PostgreSQL's default
/// <c>synchronous_commit=on</c>). Dispatchers on every replica claim with <c>FOR UPDATE SKIP LOCKED</c>; accepts and
/// replays <c>NOTIFY</c> (<see cref="PostgresWorkListener"/>) so idle dispatchers on other replicas wake at once.
/// Batches are written in bulk (<c>PostgresEventStore.Batches.cs</c>); everything else is the shared relational store.
/// </summary>
sealed partial class PostgresEventStore : RelationalEventStore
{
    readonly NpgsqlDataSource _dataSource;
    readonly PostgresWorkListener _listener;

    public PostgresEventStore(StoreOptions options, TimeProvider time, ILogger<PostgresEventStore> logger) : base(options, time, logger)
    {
        DbConnectionStringBuilder given;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            given = new DbConnectionStringBuilder { ConnectionString = options.ConnectionString };
            builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException e)
        {
            // The usual cause is switching Store:Provider to Postgres while keeping the SQLite default connection string.
            throw new InvalidOperationException(
                "GeminiHooks:Store:ConnectionString is not a PostgreSQL connection string (expected e.g. " +
                "Host=db;Database=geminihooks;Username=geminihooks;Password=...): " + e.Message, e);
        }
        // Npgsql waits 15 s for a connection by default; a receiver should rather answer 503 quickly and let the
        // sender retry, so unless the operator chose otherwise a dead server is reported after 5 s.
        if (!given.ContainsKey("Timeout") && !given.ContainsKey("Connect Timeout") && !given.ContainsKey("Connection Timeout"))
            builder.Timeout = 5;
        // The store's statements are few and fixed; prepared once per connection, each execution skips parsing and
        // planning on the server.
        if (!given.ContainsKey("Max Auto Prepare"))
            builder.MaxAutoPrepare = 32;
        if (string.IsNullOrEmpty(builder.ApplicationName))
            builder.ApplicationName = "GeminiHooks";
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _listener = new PostgresWorkListener(builder.ConnectionString, given.ContainsKey("Keepalive"), SignalWork, logger);
    }

    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await base.InitializeAsync(cancellationToken);
        // Wait until this store hears other replicas, so a notification sent right after start is not missed.
        await _listener.WaitListeningAsync(TimeSpan.FromSeconds(10), cancellationToken);
    }

    protected override async Task InitializeDatabaseAsync(CancellationToken cancellationToken)
    {
        await PostgresSchema.MigrateAsync(_dataSource, cancellationToken);
        _listener.Start();
    }

    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    protected override async ValueTask DisposeDatabaseAsync()
    {
        await _listener.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    /// <summary>
    /// Errors caused by the values of one row: class 22 (data exception, e.g. 22021 a NUL byte or invalid UTF-8,
    /// 22P05 an untranslatable character), class 23 (integrity violation) other than the unique conflicts the
    /// statements resolve themselves (23505 escaping them is a race worth retrying), and class 54 (a value beyond a
    /// limit, e.g. a key too long for its index).
    /// </summary>
    protected override bool IsDataError(Exception exception) => exception is PostgresException e
        && (e.SqlState.StartsWith("22", StringComparison.Ordinal)
            || (e.SqlState.StartsWith("23", StringComparison.Ordinal) && e.SqlState != PostgresErrorCodes.UniqueViolation)
            || e.SqlState.StartsWith("54", StringComparison.Ordinal));

    protected override bool IsUnavailable(Exception exception) =>
        exception is NpgsqlException or SocketException or IOException or TimeoutException;

    // Class 08 is connection exceptions, 57P0x the server shutting down or restarting; anything that is not a
    // PostgresException is a client-side failure (socket, timeout), where the connection is gone as well. A lost server
    // leaves every idle pooled connection dead too: dropping them now means the first request after PostgreSQL is back
    // opens a fresh connection instead of failing on a stale one.
    protected override void OnUnavailable(Exception exception)
    {
        if (exception is not PostgresException pg || pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal))
            _dataSource.Clear();
    }

    /// <summary>
    /// Times are stored at millisecond precision, as the SQLite store keeps them, so a value reads back exactly as it
    /// compares, and in UTC, which Npgsql requires for timestamptz.
    /// </summary>
    protected override void SetTime(DbParameter parameter, DateTimeOffset value)
    {
        parameter.DbType = DbType.DateTimeOffset;
        parameter.Value = Millis(value);
    }

    protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <summary>
    /// Every transaction that changes pairs first locks their events in id order and derives the events' status last:
    /// two handlers of one event finishing at once on two replicas would otherwise each see the other's pair still
    /// running and leave the event pending for good. (NO KEY: the lock the status update takes anyway; it does not
    /// block the foreign-key checks of pairs being inserted.)
    /// </summary>
    protected override string LockRowsClause => " FOR NO KEY UPDATE";

    protected override string SkipLockedClause => " FOR UPDATE SKIP LOCKED";

    protected override string HandlerNameOrder => "handler COLLATE \"C\"";

    // position on bytea compares bytes, so a body that is not valid UTF-8 is searched too (convert_from would throw).
    protected override string BodyContainsSql => "position(@text in body) > 0";

    protected override async Task NotifyWorkAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT pg_notify('{PostgresWorkListener.Channel}', '')");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // A running pair's next_attempt_at is its lease expiry, so one range over the partial index finds both due pending
    // pairs and pairs whose dispatcher died. SKIP LOCKED lets dispatchers on other replicas take the next rows instead of
    // queueing behind this claim; rows another claim committed meanwhile are re-checked against the WHERE and dropped.
    protected override string ClaimSql(string handlerFilter) => $"""
        WITH due AS (
            SELECT event_id, handler FROM handler_runs
            WHERE status IN ('pending', 'running') AND next_attempt_at <= @now AND {handlerFilter}
            ORDER BY next_attempt_at
            LIMIT @max
            FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE handler_runs r
            SET status = 'running', attempts = r.attempts + 1, lease_owner = @owner, next_attempt_at = @until, updated_at = @now
            FROM due
            WHERE r.event_id = due.event_id AND r.handler = due.handler
            RETURNING r.event_id, r.handler, r.attempts
        )
        SELECT c.event_id, c.handler, c.attempts, e.endpoint, e.webhook_id, e.webhook_timestamp, e.received_at, e.type, e.body
        FROM claimed c JOIN events e ON e.id = c.event_id
        ORDER BY c.event_id, c.handler
        """;

    // handler_runs_due is partial on exactly these statuses and ordered by next_attempt_at: the first entry that is not
    // paused (with no paused handler, the first entry).
    protected override string NextDueSql(string handlerFilter) => $"""
        SELECT next_attempt_at FROM handler_runs WHERE status IN ('pending', 'running') AND {handlerFilter}
        ORDER BY next_attempt_at LIMIT 1
        """;
}
