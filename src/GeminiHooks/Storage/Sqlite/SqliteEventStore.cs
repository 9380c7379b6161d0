using System.Globalization;
using System.Threading.Channels;
using GeminiHooks.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a commit is on disk when it returns.
/// All writes go through one connection under one lock (SQLite has a single writer anyway); accepts are queued to a
/// writer loop that commits everything waiting in one transaction and one sync (group commit), then answers each caller.
/// Reads use pooled connections of their own and never wait for the writer.
/// </summary>
public sealed partial class SqliteEventStore : IEventStore
{
    readonly string _connectionString;
    readonly StoreOptions _options;
    readonly TimeProvider _time;
    readonly ILogger _logger;
    readonly SemaphoreSlim _writeLock = new(1, 1);
    readonly Channel<PendingAccept> _accepts = Channel.CreateBounded<PendingAccept>(
        new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    readonly WorkSignal _workSignal = new();
    SqliteConnection? _writer;
    Task? _writerLoop;

    public SqliteEventStore(StoreOptions options, TimeProvider time, ILogger<SqliteEventStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _logger = logger;
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        if (builder.DataSource is not (":memory:" or ""))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);
        }
        if (!options.ConnectionString.Contains("Default Timeout", StringComparison.OrdinalIgnoreCase))
            builder.DefaultTimeout = 5; // seconds a write waits for a lock held elsewhere before the store counts as unavailable
        builder.Pooling = true;
        _connectionString = builder.ToString();
    }

    public string DataSource => new SqliteConnectionStringBuilder(_connectionString).DataSource;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
            return;
        await Guard(async () =>
        {
            var writer = new SqliteConnection(_connectionString);
            await writer.OpenAsync(cancellationToken);
            Execute(writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
            SqliteSchema.Migrate(writer);
            _writer = writer;
            return 0;
        });
        _writerLoop = Task.Run(RunWriterLoopAsync, CancellationToken.None);
    }

    public Task PingAsync(CancellationToken cancellationToken) => Read(connection =>
    {
        Execute(connection, "SELECT 1 FROM events LIMIT 1");
        return 0;
    });

    public async Task<AcceptOutcome> AcceptAsync(IncomingDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (_writerLoop is null)
            throw new InvalidOperationException("InitializeAsync has not run.");
        var pending = new PendingAccept(delivery);
        try
        {
            await _accepts.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw new StoreUnavailableException("The store is shutting down.", e);
        }
        // The caller's cancellation does not cancel the commit: once queued, the row is written either way,
        // and a redelivery will then be answered as a duplicate.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    async Task RunWriterLoopAsync()
    {
        var maxBatch = _options.GroupCommit ? Math.Max(1, _options.MaxBatch) : 1;
        var batch = new List<PendingAccept>(maxBatch);
        var reader = _accepts.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < maxBatch && reader.TryRead(out var item))
                batch.Add(item);
            await _writeLock.WaitAsync();
            try
            {
                var outcomes = CommitAccepts(batch);
                for (var i = 0; i < batch.Count; i++)
                    batch[i].Completion.TrySetResult(outcomes[i]);
                if (Array.IndexOf(outcomes, AcceptOutcome.Accepted) >= 0)
                    _workSignal.Set();
            }
            catch (Exception e)
            {
                var failure = e is SqliteException or IOException or InvalidOperationException
                    ? new StoreUnavailableException("The SQLite store could not commit: " + e.Message, e)
                    : e;
                LogCommitFailed(_logger, batch.Count, e.Message);
                foreach (var item in batch)
                    item.Completion.TrySetException(failure);
            }
            finally
            {
                _writeLock.Release();
            }
        }
    }

    AcceptOutcome[] CommitAccepts(List<PendingAccept> batch)
    {
        var writer = _writer!;
        var outcomes = new AcceptOutcome[batch.Count];
        using var transaction = writer.BeginTransaction();
        using var insertEvent = writer.CreateCommand();
        insertEvent.Transaction = transaction;
        insertEvent.CommandText = """
            INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status)
            VALUES ($endpoint, $id, $ts, $received, $type, $body, $status)
            ON CONFLICT (endpoint, webhook_id) DO NOTHING
            RETURNING id
            """;
        var pEndpoint = insertEvent.Parameters.Add("$endpoint", SqliteType.Text);
        var pId = insertEvent.Parameters.Add("$id", SqliteType.Text);
        var pTs = insertEvent.Parameters.Add("$ts", SqliteType.Integer);
        var pReceived = insertEvent.Parameters.Add("$received", SqliteType.Integer);
        var pType = insertEvent.Parameters.Add("$type", SqliteType.Text);
        var pBody = insertEvent.Parameters.Add("$body", SqliteType.Blob);
        var pStatus = insertEvent.Parameters.Add("$status", SqliteType.Text);
        using var insertRun = writer.CreateCommand();
        insertRun.Transaction = transaction;
        insertRun.CommandText = """
            INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
            VALUES ($event, $handler, 'pending', 0, $now, $now)
            """;
        var pEvent = insertRun.Parameters.Add("$event", SqliteType.Integer);
        var pHandler = insertRun.Parameters.Add("$handler", SqliteType.Text);
        var pNow = insertRun.Parameters.Add("$now", SqliteType.Integer);

        for (var i = 0; i < batch.Count; i++)
        {
            var d = batch[i].Delivery;
            pEndpoint.Value = d.Endpoint;
            pId.Value = d.WebhookId;
            pTs.Value = d.Timestamp;
            pReceived.Value = d.ReceivedAt.ToUnixTimeMilliseconds();
            pType.Value = d.EventType;
            pBody.Value = d.Body.ToArray();
            pStatus.Value = d.Handlers.Count == 0 ? EventStatus.Done : EventStatus.Pending;
            var id = insertEvent.ExecuteScalar();
            if (id is null)
            {
                outcomes[i] = AcceptOutcome.Duplicate;
                continue;
            }
            outcomes[i] = AcceptOutcome.Accepted;
            foreach (var handler in d.Handlers)
            {
                pEvent.Value = id;
                pHandler.Value = handler;
                pNow.Value = d.ReceivedAt.ToUnixTimeMilliseconds();
                insertRun.ExecuteNonQuery();
            }
        }
        transaction.Commit();
        return outcomes;
    }

    public Task<IReadOnlyList<DispatchItem>> ClaimAsync(string owner, int max, TimeSpan lease, CancellationToken cancellationToken) =>
        Write<IReadOnlyList<DispatchItem>>(connection =>
        {
            var now = _time.GetUtcNow();
            using var transaction = connection.BeginTransaction();
            // A running pair's next_attempt_at is its lease expiry, so one range over the index finds both
            // due pending pairs and pairs whose dispatcher died.
            var claimed = new List<(long EventId, string Handler, int Attempt)>();
            using (var claim = connection.CreateCommand())
            {
                claim.Transaction = transaction;
                claim.CommandText = """
                    UPDATE handler_runs
                    SET status = 'running', attempts = attempts + 1, lease_owner = $owner,
                        next_attempt_at = $until, updated_at = $now
                    WHERE rowid IN (
                        SELECT rowid FROM handler_runs
                        WHERE status IN ('pending', 'running') AND next_attempt_at <= $now
                        ORDER BY next_attempt_at LIMIT $max)
                    RETURNING event_id, handler, attempts
                    """;
                claim.Parameters.AddWithValue("$owner", owner);
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
                        e.Body!.Value, handler, attempt, owner));
                }
            }
            transaction.Commit();
            return items;
        });

    public Task<bool> CompleteAsync(DispatchItem item, CancellationToken cancellationToken) =>
        FinishRun(item, RunStatus.Succeeded, error: null, retryAt: null);

    public Task<bool> FailAsync(DispatchItem item, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken) =>
        FinishRun(item, retryAt is null ? RunStatus.Dead : RunStatus.Pending, error, retryAt);

    Task<bool> FinishRun(DispatchItem item, string status, string? error, DateTimeOffset? retryAt) => Write(connection =>
    {
        ArgumentNullException.ThrowIfNull(item);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        using var transaction = connection.BeginTransaction();
        using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = """
            UPDATE handler_runs
            SET status = $status, lease_owner = NULL, next_attempt_at = $next, updated_at = $now,
                last_error = COALESCE($error, last_error)
            WHERE event_id = $event AND handler = $handler AND status = 'running'
              AND lease_owner = $owner AND attempts = $attempt
            """;
        update.Parameters.AddWithValue("$status", status);
        update.Parameters.AddWithValue("$next", retryAt?.ToUnixTimeMilliseconds() ?? now);
        update.Parameters.AddWithValue("$now", now);
        update.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
        update.Parameters.AddWithValue("$event", item.EventId);
        update.Parameters.AddWithValue("$handler", item.Handler);
        update.Parameters.AddWithValue("$owner", item.Owner);
        update.Parameters.AddWithValue("$attempt", item.Attempt);
        if (update.ExecuteNonQuery() == 0)
            return false;
        RefreshEventStatus(connection, transaction, "id = $event", ("$event", item.EventId));
        transaction.Commit();
        return true;
    });

    public async Task<int?> ReplayAsync(string endpoint, string webhookId, IReadOnlyList<string> handlers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        var queued = await Write<int?>(connection =>
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
        });
        if (queued > 0)
            _workSignal.Set();
        return queued;
    }

    public async Task<int> ReplayDeadLettersAsync(string? eventType, CancellationToken cancellationToken)
    {
        var queued = await Write(connection =>
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
            update.Parameters.AddWithValue("$type", (object?)eventType ?? DBNull.Value);
            var count = update.ExecuteNonQuery();
            RefreshEventStatus(connection, transaction, "status = 'dead' AND ($type IS NULL OR type = $type)",
                ("$type", (object?)eventType ?? DBNull.Value));
            transaction.Commit();
            return count;
        });
        if (queued > 0)
            _workSignal.Set();
        return queued;
    }

    public Task<EventPage> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) => Read(connection =>
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, 500);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, endpoint, webhook_id, webhook_timestamp, received_at, type, status FROM events
            WHERE ($status IS NULL OR status = $status) AND ($type IS NULL OR type = $type)
              AND ($cursor IS NULL OR id < $cursor)
            ORDER BY id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$status", (object?)query.Status ?? DBNull.Value);
        command.Parameters.AddWithValue("$type", (object?)query.EventType ?? DBNull.Value);
        command.Parameters.AddWithValue("$cursor",
            long.TryParse(query.Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor) ? cursor : DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit + 1);
        var rows = new List<StoredEvent>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                rows.Add(ReadEvent(reader, withBody: false, handlers: []));
        }
        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(limit);
            next = rows[^1].Id.ToString(CultureInfo.InvariantCulture);
        }
        var runs = LoadRuns(connection, null, rows.Select(r => r.Id));
        return new EventPage(rows.Select(r => r with { Handlers = runs.GetValueOrDefault(r.Id, []) }).ToList(), next);
    });

    public Task<StoredEvent?> GetEventAsync(string endpoint, string webhookId, CancellationToken cancellationToken) => Read(connection =>
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
            stored = ReadEvent(reader, withBody: true, handlers: []);
        }
        var runs = LoadRuns(connection, null, [stored.Id]);
        return (StoredEvent?)(stored with { Handlers = runs.GetValueOrDefault(stored.Id, []) });
    });

    public async Task<int> DeleteFinishedAsync(DateTimeOffset receivedBefore, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            // Small chunks, so the write lock is never held long enough to delay accepts noticeably.
            var deleted = await Write(connection =>
            {
                using var transaction = connection.BeginTransaction();
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY);
                    DELETE FROM doomed;
                    INSERT INTO doomed SELECT id FROM events
                      WHERE received_at < $cutoff AND status = 'done' LIMIT 1000;
                    DELETE FROM handler_runs WHERE event_id IN (SELECT id FROM doomed);
                    DELETE FROM events WHERE id IN (SELECT id FROM doomed);
                    SELECT COUNT(*) FROM doomed;
                    """;
                command.Parameters.AddWithValue("$cutoff", receivedBefore.ToUnixTimeMilliseconds());
                var count = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
                transaction.Commit();
                return count;
            });
            total += deleted;
            if (deleted < 1000 || cancellationToken.IsCancellationRequested)
                return total;
        }
    }

    public Task<BacklogCounts> CountAsync(CancellationToken cancellationToken) => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT status, COUNT(*) FROM handler_runs GROUP BY status";
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
            counts[reader.GetString(0)] = reader.GetInt64(1);
        return new BacklogCounts(counts.GetValueOrDefault(RunStatus.Pending), counts.GetValueOrDefault(RunStatus.Running),
            counts.GetValueOrDefault(RunStatus.Succeeded), counts.GetValueOrDefault(RunStatus.Dead));
    });

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _workSignal.WaitAsync(timeout, _time, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _accepts.Writer.TryComplete();
        if (_writerLoop is not null)
            await _writerLoop;
        if (_writer is not null)
            await _writer.DisposeAsync();
        _writeLock.Dispose();
    }

    static void RefreshEventStatus(SqliteConnection connection, SqliteTransaction transaction, string where, (string Name, object Value) parameter)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            UPDATE events SET status = CASE
                WHEN EXISTS (SELECT 1 FROM handler_runs r WHERE r.event_id = events.id AND r.status = 'dead') THEN 'dead'
                WHEN EXISTS (SELECT 1 FROM handler_runs r WHERE r.event_id = events.id AND r.status IN ('pending', 'running')) THEN 'pending'
                ELSE 'done' END
            WHERE {where}
            """;
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
            var e = ReadEvent(reader, withBody: true, handlers: []);
            events[e.Id] = e;
        }
        return events;
    }

    static Dictionary<long, IReadOnlyList<HandlerRun>> LoadRuns(SqliteConnection connection, SqliteTransaction? transaction, IEnumerable<long> ids)
    {
        var result = new Dictionary<long, IReadOnlyList<HandlerRun>>();
        var idList = string.Join(',', ids);
        if (idList.Length == 0)
            return result;
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            SELECT event_id, handler, status, attempts, next_attempt_at, last_error, updated_at FROM handler_runs
            WHERE event_id IN ({idList}) ORDER BY event_id, handler
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var eventId = reader.GetInt64(0);
            if (!result.TryGetValue(eventId, out var list))
                result[eventId] = list = new List<HandlerRun>();
            ((List<HandlerRun>)list).Add(new HandlerRun(reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), reader.IsDBNull(5) ? null : reader.GetString(5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }
        return result;
    }

    static StoredEvent ReadEvent(SqliteDataReader reader, bool withBody, IReadOnlyList<HandlerRun> handlers) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), reader.GetString(5), reader.GetString(6), handlers,
        withBody ? (byte[])reader.GetValue(7) : (ReadOnlyMemory<byte>?)null);

    static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a write on the single writer connection, under the write lock.</summary>
    async Task<T> Write<T>(Func<SqliteConnection, T> work)
    {
        var writer = _writer ?? throw new InvalidOperationException("InitializeAsync has not run.");
        await _writeLock.WaitAsync();
        try
        {
            return await Guard(() => Task.FromResult(work(writer)));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Runs a read on a pooled connection of its own.</summary>
    Task<T> Read<T>(Func<SqliteConnection, T> work) => Guard(async () =>
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        return work(connection);
    });

    static async Task<T> Guard<T>(Func<Task<T>> work)
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

    sealed class PendingAccept(IncomingDelivery delivery)
    {
        public IncomingDelivery Delivery { get; } = delivery;
        public TaskCompletionSource<AcceptOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "SQLite commit of {Count} deliveries failed: {Reason}")]
    static partial void LogCommitFailed(ILogger logger, int count, string reason);
}
