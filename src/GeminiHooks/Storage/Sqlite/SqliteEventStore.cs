using System.Globalization;
using System.Runtime.InteropServices;
using GeminiHooks.Configuration;
using GeminiHooks.Storage.Kit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a commit is on disk when it returns.
/// All writes go through one connection under one lock (SQLite has a single writer anyway); accepts and dispatch
/// outcomes are queued to a writer loop that commits everything waiting in one transaction and one sync (group commit),
/// then answers each caller.
/// Reads use pooled connections of their own and never wait for the writer.
/// </summary>
sealed partial class SqliteEventStore : IEventStore
{
    readonly string _connectionString;
    readonly StoreOptions _options;
    readonly TimeProvider _time;
    readonly ILogger _logger;
    readonly SemaphoreSlim _writeLock = new(1, 1);
    readonly GroupCommitQueue<PendingWrite> _writes;
    readonly StoreLifetime _lifetime = new();
    readonly WorkSignal _workSignal = new();
    readonly string? _directory; // created at initialisation, where a failure is reported as the store's
    SqliteConnection? _writer;

    public SqliteEventStore(StoreOptions options, TimeProvider time, ILogger<SqliteEventStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _logger = logger;
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        if (builder.DataSource is not (":memory:" or ""))
            _directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!options.ConnectionString.Contains("Default Timeout", StringComparison.OrdinalIgnoreCase))
            builder.DefaultTimeout = 5; // seconds a write waits for a lock held elsewhere before the store counts as unavailable
        builder.Pooling = true;
        _connectionString = builder.ToString();
        _writes = new GroupCommitQueue<PendingWrite>(options.GroupCommit ? options.MaxBatch : 1, CommitAsync,
            (count, e) => LogCommitFailed(_logger, count, e.Message));
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => _lifetime.InitializeOnceAsync(async ct =>
    {
        try
        {
            if (!string.IsNullOrEmpty(_directory))
                Directory.CreateDirectory(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException("The SQLite store failed: " + e.Message, e);
        }
        await GuardAsync(async () =>
        {
            var writer = new SqliteConnection(_connectionString);
            try
            {
                await writer.OpenAsync(ct);
                Execute(writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
                await SqliteSchema.MigrateAsync(writer, ct);
            }
            catch
            {
                await writer.DisposeAsync();
                throw;
            }
            _writer = writer;
            return 0;
        });
        _writes.Start();
    }, cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => ReadAsync((connection, _) =>
    {
        Execute(connection, "SELECT 1 FROM events LIMIT 1");
        return 0;
    }, cancellationToken);

    public Task<AcceptOutcome> AcceptAsync(IncomingDelivery delivery, CancellationToken cancellationToken) =>
        PendingAccept.SubmitAsync(delivery, _writes.EnqueueAsync, cancellationToken);

    /// <summary>
    /// One group commit: accepts and dispatch outcomes alike share the transaction and its sync, under the write lock
    /// that the other writes take too.
    /// </summary>
    async Task CommitAsync(IReadOnlyList<PendingWrite> batch)
    {
        await _writeLock.WaitAsync();
        try
        {
            bool accepted;
            try
            {
                accepted = CommitBatch(batch);
            }
            catch (SqliteException e) when (IsDataError(e))
            {
                throw new StoreRejectedException("The SQLite store refused the data: " + e.Message, e);
            }
            catch (Exception e) when (e is SqliteException or IOException or InvalidOperationException)
            {
                throw new StoreUnavailableException("The SQLite store could not commit: " + e.Message, e);
            }
            if (accepted)
                _workSignal.Set();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // SQLite stores any text and any blob, so the only data it refuses is what breaks a constraint or a size limit.
    static bool IsDataError(SqliteException e) => e.SqliteErrorCode is SQLitePCL.raw.SQLITE_CONSTRAINT
        or SQLitePCL.raw.SQLITE_TOOBIG or SQLitePCL.raw.SQLITE_MISMATCH;

    /// <summary>Writes the batch in one transaction; true when at least one delivery was newly accepted.</summary>
    bool CommitBatch(IReadOnlyList<PendingWrite> batch)
    {
        var writer = _writer!;
        var accepted = false;
        using var transaction = writer.BeginTransaction();
        using var accepts = new AcceptCommands(writer, transaction);
        using var finishes = new FinishCommands(writer, transaction, _time);
        foreach (var item in batch)
        {
            switch (item)
            {
                case PendingAccept accept:
                    accept.Outcome = accepts.Insert(accept.Delivery);
                    accepted |= accept.Outcome == AcceptOutcome.Accepted;
                    break;
                case PendingFinish finish:
                    finish.Changed = finishes.Finish(finish);
                    break;
            }
        }
        transaction.Commit();
        return accepted;
    }

    /// <summary>The two prepared inserts of an accept, created on first use within one batch transaction.</summary>
    sealed class AcceptCommands(SqliteConnection writer, SqliteTransaction transaction) : IDisposable
    {
        SqliteCommand? _insertEvent;
        SqliteCommand? _insertRun;
        JobOutcomeCommands? _jobs;
        SqliteParameter _pEndpoint = null!, _pId = null!, _pTs = null!, _pReceived = null!, _pType = null!, _pBody = null!, _pStatus = null!;
        SqliteParameter _pEvent = null!, _pHandler = null!, _pNow = null!;

        public AcceptOutcome Insert(IncomingDelivery d)
        {
            if (_insertEvent is null)
                Prepare();
            _pEndpoint.Value = d.Endpoint;
            _pId.Value = d.WebhookId;
            _pTs.Value = d.Timestamp;
            _pReceived.Value = d.ReceivedAt.ToUnixTimeMilliseconds();
            _pType.Value = StoredText.Representable(d.EventType);
            _pBody.Value = Blob(d.Body);
            _pStatus.Value = d.InitialStatus;
            var id = _insertEvent!.ExecuteScalar();
            if (id is null)
                return AcceptOutcome.Duplicate;
            // A terminal job event: the first per job gets handler runs, a later one is kept without (same transaction).
            if (d.Job is { } job && (_jobs ??= new JobOutcomeCommands(writer, transaction)).Record(job, d, (long)id!) is { } later)
                return later;
            foreach (var handler in d.Handlers)
            {
                _pEvent.Value = id;
                _pHandler.Value = handler;
                _pNow.Value = d.ReceivedAt.ToUnixTimeMilliseconds();
                _insertRun!.ExecuteNonQuery();
            }
            return AcceptOutcome.Accepted;
        }

        /// <summary>
        /// The body as the array SQLite binds. The ingest path hands over an array it owns whole (the exact body it
        /// read), so it is bound as is; only a slice of a larger buffer is copied.
        /// </summary>
        static byte[] Blob(ReadOnlyMemory<byte> body) =>
            MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array
                : body.ToArray();

        void Prepare()
        {
            _insertEvent = writer.CreateCommand();
            _insertEvent.Transaction = transaction;
            _insertEvent.CommandText = """
                INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status)
                VALUES ($endpoint, $id, $ts, $received, $type, $body, $status)
                ON CONFLICT (endpoint, webhook_id) DO NOTHING
                RETURNING id
                """;
            _pEndpoint = _insertEvent.Parameters.Add("$endpoint", SqliteType.Text);
            _pId = _insertEvent.Parameters.Add("$id", SqliteType.Text);
            _pTs = _insertEvent.Parameters.Add("$ts", SqliteType.Integer);
            _pReceived = _insertEvent.Parameters.Add("$received", SqliteType.Integer);
            _pType = _insertEvent.Parameters.Add("$type", SqliteType.Text);
            _pBody = _insertEvent.Parameters.Add("$body", SqliteType.Blob);
            _pStatus = _insertEvent.Parameters.Add("$status", SqliteType.Text);
            _insertRun = writer.CreateCommand();
            _insertRun.Transaction = transaction;
            _insertRun.CommandText = """
                INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
                VALUES ($event, $handler, 'pending', 0, $now, $now)
                """;
            _pEvent = _insertRun.Parameters.Add("$event", SqliteType.Integer);
            _pHandler = _insertRun.Parameters.Add("$handler", SqliteType.Text);
            _pNow = _insertRun.Parameters.Add("$now", SqliteType.Integer);
        }

        public void Dispose()
        {
            _insertEvent?.Dispose();
            _insertRun?.Dispose();
            _jobs?.Dispose();
        }
    }

    public Task<IReadOnlyList<DispatchItem>> ClaimAsync(string owner, int max, TimeSpan lease, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<DispatchItem>>((connection, _) =>
        {
            var now = _time.GetUtcNow();
            var leaseToken = LeaseToken.New(owner);
            using var transaction = connection.BeginTransaction();
            // A running pair's next_attempt_at is its lease expiry, so the due index finds both due pending pairs
            // and pairs whose dispatcher died. One ordered range per status, each already in next_attempt_at order and
            // cut at $max, then merged: "status IN (...) ORDER BY next_attempt_at" sorted every due pair on each claim,
            // which with a backlog of 100k pairs made claiming the dispatcher's bottleneck.
            var claimed = new List<(long EventId, string Handler, int Attempt)>();
            using (var claim = connection.CreateCommand())
            {
                claim.Transaction = transaction;
                claim.CommandText = """
                    UPDATE handler_runs
                    SET status = 'running', attempts = attempts + 1, lease_owner = $owner,
                        next_attempt_at = $until, updated_at = $now
                    WHERE rowid IN (
                        SELECT id FROM (
                            SELECT * FROM (
                                SELECT rowid AS id, next_attempt_at AS due FROM handler_runs
                                WHERE status = 'pending' AND next_attempt_at <= $now ORDER BY next_attempt_at LIMIT $max)
                            UNION ALL
                            SELECT * FROM (
                                SELECT rowid AS id, next_attempt_at AS due FROM handler_runs
                                WHERE status = 'running' AND next_attempt_at <= $now ORDER BY next_attempt_at LIMIT $max))
                        ORDER BY due LIMIT $max)
                    RETURNING event_id, handler, attempts
                    """;
                claim.Parameters.AddWithValue("$owner", leaseToken);
                claim.Parameters.AddWithValue("$until", (now + lease).ToUnixTimeMilliseconds());
                claim.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                claim.Parameters.AddWithValue("$max", max);
                using var reader = claim.ExecuteReader();
                while (reader.Read())
                    claimed.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2)));
            }
            var items = new List<DispatchItem>(claimed.Count);
            if (claimed.Count > 0)
            {
                var events = LoadEvents(connection, transaction, claimed.Select(c => c.EventId).Distinct());
                foreach (var (eventId, handler, attempt) in claimed)
                {
                    var e = events[eventId];
                    items.Add(new DispatchItem(eventId, e.Endpoint, e.WebhookId, e.Timestamp, e.ReceivedAt, e.EventType,
                        e.Body!.Value, handler, attempt, leaseToken));
                }
            }
            transaction.Commit();
            return items;
        }, cancellationToken);

    // A run's outcome goes through the writer loop like an accept, so at a high dispatch rate outcomes share
    // commits (and syncs) with each other and with incoming deliveries instead of costing one sync each.
    public Task<bool> CompleteAsync(DispatchItem item, CancellationToken cancellationToken) =>
        PendingFinish.SubmitAsync(item, succeeded: true, error: null, retryAt: null, _writes.EnqueueAsync, cancellationToken);

    public Task<bool> FailAsync(DispatchItem item, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken) =>
        PendingFinish.SubmitAsync(item, succeeded: false, error, retryAt, _writes.EnqueueAsync, cancellationToken);

    /// <summary>
    /// The two statements of a run's outcome, prepared once per batch transaction: at a high dispatch rate a batch
    /// holds hundreds of outcomes, and preparing each statement again was a large part of the writer's time.
    /// </summary>
    sealed class FinishCommands(SqliteConnection writer, SqliteTransaction transaction, TimeProvider time) : IDisposable
    {
        SqliteCommand? _update;
        SqliteCommand? _refresh;
        SqliteParameter _pStatus = null!, _pNext = null!, _pNow = null!, _pError = null!, _pEvent = null!, _pHandler = null!,
            _pOwner = null!, _pAttempt = null!, _pRefreshEvent = null!;

        /// <summary>Records the outcome; false (and no change) when the claim was lost to another owner.</summary>
        public bool Finish(PendingFinish finish)
        {
            if (_update is null)
                Prepare();
            var item = finish.Item;
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            _pStatus.Value = finish.Status;
            _pNext.Value = finish.RetryAt?.ToUnixTimeMilliseconds() ?? now;
            _pNow.Value = now;
            _pError.Value = (object?)finish.Error ?? DBNull.Value;
            _pEvent.Value = item.EventId;
            _pHandler.Value = item.Handler;
            _pOwner.Value = item.LeaseToken;
            _pAttempt.Value = item.Attempt;
            if (_update!.ExecuteNonQuery() == 0)
                return false;
            _pRefreshEvent.Value = item.EventId;
            _refresh!.ExecuteNonQuery();
            return true;
        }

        void Prepare()
        {
            _update = writer.CreateCommand();
            _update.Transaction = transaction;
            _update.CommandText = """
                UPDATE handler_runs
                SET status = $status, lease_owner = NULL, next_attempt_at = $next, updated_at = $now,
                    last_error = CASE WHEN $status = 'succeeded' THEN NULL ELSE COALESCE($error, last_error) END
                WHERE event_id = $event AND handler = $handler AND status = 'running'
                  AND lease_owner = $owner AND attempts = $attempt
                """;
            _pStatus = _update.Parameters.Add("$status", SqliteType.Text);
            _pNext = _update.Parameters.Add("$next", SqliteType.Integer);
            _pNow = _update.Parameters.Add("$now", SqliteType.Integer);
            _pError = _update.Parameters.Add("$error", SqliteType.Text);
            _pEvent = _update.Parameters.Add("$event", SqliteType.Integer);
            _pHandler = _update.Parameters.Add("$handler", SqliteType.Text);
            _pOwner = _update.Parameters.Add("$owner", SqliteType.Text);
            _pAttempt = _update.Parameters.Add("$attempt", SqliteType.Integer);
            _refresh = writer.CreateCommand();
            _refresh.Transaction = transaction;
            _refresh.CommandText = StoreSql.RefreshEventStatus("id = $event");
            _pRefreshEvent = _refresh.Parameters.Add("$event", SqliteType.Integer);
        }

        public void Dispose()
        {
            _update?.Dispose();
            _refresh?.Dispose();
        }
    }

    public async Task<int?> ReplayAsync(string endpoint, string webhookId, IReadOnlyList<string> handlers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        if (!AcceptRules.IsStorableKey(endpoint, webhookId))
            return null;
        var queued = await WriteAsync<int?>((connection, _) =>
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            using var transaction = connection.BeginTransaction();
            using var find = connection.CreateCommand();
            find.Transaction = transaction;
            find.CommandText = "SELECT id FROM events WHERE endpoint = $endpoint AND webhook_id = $id";
            find.Parameters.AddWithValue("$endpoint", endpoint);
            find.Parameters.AddWithValue("$id", webhookId);
            if (find.ExecuteScalar() is not long eventId)
                return null;
            using var upsert = connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
                VALUES ($event, $handler, 'pending', 0, $now, $now)
                ON CONFLICT (event_id, handler) DO UPDATE
                SET status = 'pending', attempts = 0, lease_owner = NULL, next_attempt_at = $now, updated_at = $now
                """;
            upsert.Parameters.AddWithValue("$event", eventId);
            var pHandler = upsert.Parameters.Add("$handler", SqliteType.Text);
            upsert.Parameters.AddWithValue("$now", now);
            foreach (var handler in handlers)
            {
                pHandler.Value = handler;
                upsert.ExecuteNonQuery();
            }
            RefreshEventStatus(connection, transaction, "id = $event", ("$event", eventId));
            transaction.Commit();
            return handlers.Count;
        }, cancellationToken);
        if (queued > 0)
            _workSignal.Set();
        return queued;
    }

    public async Task<int> ReplayDeadLettersAsync(string? eventType, CancellationToken cancellationToken)
    {
        var queued = await WriteAsync((connection, _) =>
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            using var transaction = connection.BeginTransaction();
            using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE handler_runs
                SET status = 'pending', attempts = 0, lease_owner = NULL, next_attempt_at = $now, updated_at = $now
                WHERE status = 'dead'
                  AND ($type IS NULL OR event_id IN (SELECT id FROM events WHERE type = $type))
                """;
            update.Parameters.AddWithValue("$now", now);
            update.Parameters.AddWithValue("$type", (object?)StoredType(eventType) ?? DBNull.Value);
            var count = update.ExecuteNonQuery();
            RefreshEventStatus(connection, transaction, "status = 'dead' AND ($type IS NULL OR type = $type)",
                ("$type", (object?)StoredType(eventType) ?? DBNull.Value));
            transaction.Commit();
            return count;
        }, cancellationToken);
        if (queued > 0)
            _workSignal.Set();
        return queued;
    }

    public Task<EventPage> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) => ReadAsync((connection, _) =>
    {
        var limit = EventPaging.Limit(query);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, endpoint, webhook_id, webhook_timestamp, received_at, type, status FROM events
            WHERE ($status IS NULL OR status = $status) AND ($type IS NULL OR type = $type)
              AND ($cursor IS NULL OR id < $cursor)
            ORDER BY id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$status", (object?)query.Status ?? DBNull.Value);
        command.Parameters.AddWithValue("$type", (object?)StoredType(query.EventType) ?? DBNull.Value);
        command.Parameters.AddWithValue("$cursor", (object?)EventPaging.Cursor(query) ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", EventPaging.FetchCount(limit));
        var rows = new List<StoredEvent>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                rows.Add(ReadEvent(reader, withBody: false));
        }
        var next = EventPaging.CutToPage(rows, limit);
        return EventPaging.Page(rows, LoadRuns(connection, null, rows.ConvertAll(r => r.Id)), next);
    }, cancellationToken);

    public Task<StoredEvent?> GetEventAsync(string endpoint, string webhookId, CancellationToken cancellationToken) =>
        !AcceptRules.IsStorableKey(endpoint, webhookId) ? Task.FromResult<StoredEvent?>(null) : ReadAsync((connection, _) =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, endpoint, webhook_id, webhook_timestamp, received_at, type, status, body FROM events
            WHERE endpoint = $endpoint AND webhook_id = $id
            """;
        command.Parameters.AddWithValue("$endpoint", endpoint);
        command.Parameters.AddWithValue("$id", webhookId);
        StoredEvent stored;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
                return null;
            stored = ReadEvent(reader, withBody: true);
        }
        return (StoredEvent?)LoadRuns(connection, null, [stored.Id]).Attach(stored);
    }, cancellationToken);

    public Task<int> DeleteFinishedAsync(DateTimeOffset receivedBefore, CancellationToken cancellationToken) =>
        Cleanup.InChunksAsync(ct => WriteAsync((connection, _) =>
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY);
                DELETE FROM doomed;
                INSERT INTO doomed SELECT id FROM events
                  WHERE received_at < $cutoff AND status = 'done' LIMIT $chunk;
                DELETE FROM handler_runs WHERE event_id IN (SELECT id FROM doomed);
                DELETE FROM events WHERE id IN (SELECT id FROM doomed);
                SELECT COUNT(*) FROM doomed;
                """;
            command.Parameters.AddWithValue("$cutoff", receivedBefore.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$chunk", Cleanup.ChunkSize);
            var count = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            transaction.Commit();
            return count;
        }, ct), cancellationToken);

    public Task<BacklogCounts> CountAsync(CancellationToken cancellationToken) => ReadAsync((connection, _) =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = StoreSql.CountByStatus;
        var counts = new BacklogCountsReader();
        using var reader = command.ExecuteReader();
        while (reader.Read())
            counts.Add(reader.GetString(0), reader.GetInt64(1));
        return counts.ToCounts();
    }, cancellationToken);

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken) => ReadAsync<DateTimeOffset?>((connection, _) =>
    {
        using var command = connection.CreateCommand();
        // One seek per status on handler_runs_due (status, next_attempt_at), whatever the backlog.
        command.CommandText = """
            SELECT MIN(due) FROM (
                SELECT MIN(next_attempt_at) AS due FROM handler_runs WHERE status = 'pending'
                UNION ALL
                SELECT MIN(next_attempt_at) FROM handler_runs WHERE status = 'running')
            """;
        return command.ExecuteScalar() is long due ? DateTimeOffset.FromUnixTimeMilliseconds(due) : null;
    }, cancellationToken);

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _workSignal.WaitAsync(timeout, _time, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (!_lifetime.TryBeginDispose())
            return;
        await _writes.StopAsync();
        if (_writer is not null)
            await _writer.DisposeAsync();
        _writeLock.Dispose();
        _lifetime.Dispose();
    }

    static void RefreshEventStatus(SqliteConnection connection, SqliteTransaction transaction, string where, (string Name, object Value) parameter)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = StoreSql.RefreshEventStatus(where);
        command.Parameters.AddWithValue(parameter.Name, parameter.Value);
        command.ExecuteNonQuery();
    }

    static Dictionary<long, StoredEvent> LoadEvents(SqliteConnection connection, SqliteTransaction? transaction, IEnumerable<long> ids)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            SELECT id, endpoint, webhook_id, webhook_timestamp, received_at, type, status, body FROM events
            WHERE id IN ({string.Join(',', ids)})
            """;
        var events = new Dictionary<long, StoredEvent>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var e = ReadEvent(reader, withBody: true);
            events[e.Id] = e;
        }
        return events;
    }

    static HandlerRunsByEvent LoadRuns(SqliteConnection connection, SqliteTransaction? transaction, List<long> ids)
    {
        var result = new HandlerRunsByEvent();
        if (ids.Count == 0)
            return result;
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            SELECT event_id, handler, status, attempts, next_attempt_at, last_error, updated_at FROM handler_runs
            WHERE event_id IN ({string.Join(',', ids)}) ORDER BY event_id, handler
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            result.Add(reader.GetInt64(0), new HandlerRun(reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), reader.IsDBNull(5) ? null : reader.GetString(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }
        return result;
    }

    static StoredEvent ReadEvent(SqliteDataReader reader, bool withBody) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), reader.GetString(5), reader.GetString(6), [],
        withBody ? (byte[])reader.GetValue(7) : (ReadOnlyMemory<byte>?)null);

    /// <summary>A type filter in the form types are stored in.</summary>
    static string? StoredType(string? type) => type is null ? null : StoredText.Representable(type);

    static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a write on the single writer connection, under the write lock.</summary>
    async Task<T> WriteAsync<T>(Func<SqliteConnection, CancellationToken, T> work, CancellationToken cancellationToken)
    {
        var writer = _writer ?? throw new InvalidOperationException("InitializeAsync has not run.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return await GuardAsync(() => Task.FromResult(work(writer, cancellationToken)));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Runs a read on a pooled connection of its own.</summary>
    Task<T> ReadAsync<T>(Func<SqliteConnection, CancellationToken, T> work, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return work(connection, cancellationToken);
    });

    static async Task<T> GuardAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (SqliteException e)
        {
            throw new StoreUnavailableException("The SQLite store failed: " + e.Message, e);
        }
        catch (IOException e)
        {
            throw new StoreUnavailableException("The SQLite store failed: " + e.Message, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "SQLite commit of {Count} deliveries failed: {Reason}")]
    static partial void LogCommitFailed(ILogger logger, int count, string reason);
}
