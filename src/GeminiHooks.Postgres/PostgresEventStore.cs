using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace GeminiHooks.Postgres;

/// <summary>
/// The shared store: one PostgreSQL database that several replicas use at once.
/// Idempotency across replicas comes from the unique (endpoint, webhook_id) index; a commit is durable when it returns
/// (PostgreSQL's default <c>synchronous_commit=on</c>). Accepts are queued to a writer loop that commits everything
/// waiting in one transaction (group commit), as in the SQLite store. Dispatchers on every replica claim with
/// <c>FOR UPDATE SKIP LOCKED</c>, and accepts and replays <c>NOTIFY geminihooks_work</c> so idle dispatchers on other
/// replicas wake at once instead of at their next poll.
/// </summary>
public sealed partial class PostgresEventStore : IEventStore
{
    /// <summary>The LISTEN/NOTIFY channel; a constant so that every replica of every version hears every other.</summary>
    public const string WorkChannel = "geminihooks_work";

    // The listener's reconnect backoff is about the network, not about business time, so it runs on the real clock:
    // a FakeTimeProvider in tests must not freeze reconnection.
    static readonly TimeSpan ListenBackoffMin = TimeSpan.FromMilliseconds(250);
    static readonly TimeSpan ListenBackoffMax = TimeSpan.FromSeconds(10);

    readonly NpgsqlDataSource _dataSource;
    readonly NpgsqlDataSource _listenSource;
    readonly StoreOptions _options;
    readonly TimeProvider _time;
    readonly ILogger _logger;
    readonly Channel<PendingAccept> _accepts = Channel.CreateBounded<PendingAccept>(
        new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    readonly WorkSignal _workSignal = new();
    readonly CancellationTokenSource _stopping = new();
    readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly SemaphoreSlim _initializeLock = new(1, 1);
    Task? _writerLoop;
    Task? _listenLoop;
    int _disposed;

    public PostgresEventStore(StoreOptions options, TimeProvider time, ILogger<PostgresEventStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _logger = logger;
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
        if (string.IsNullOrEmpty(builder.ApplicationName))
            builder.ApplicationName = "GeminiHooks";
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);

        // The listener holds its connection for the store's lifetime, outside the pool (a pooled connection would be
        // reset with DISCARD ALL, which also UNLISTENs). Keepalives make a silently dropped connection fail, so the
        // loop reconnects instead of waiting forever for notifications that cannot arrive.
        var listen = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false, Multiplexing = false };
        if (!given.ContainsKey("Keepalive"))
            listen.KeepAlive = 15;
        _listenSource = NpgsqlDataSource.Create(listen.ConnectionString);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initializeLock.WaitAsync(cancellationToken);
        try
        {
            if (_writerLoop is not null)
                return;
            await Guard(async () =>
            {
                await PostgresSchema.MigrateAsync(_dataSource, cancellationToken);
                return 0;
            }, cancellationToken);
            _writerLoop = Task.Run(RunWriterLoopAsync, CancellationToken.None);
            _listenLoop = Task.Run(() => RunListenLoopAsync(_stopping.Token), CancellationToken.None);
        }
        finally
        {
            _initializeLock.Release();
        }
        // Wait until this store hears other replicas, so a notification sent right after start is not missed.
        // Should listening fail, the store still works: dispatchers then find work at their next poll.
        try
        {
            await _listening.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (TimeoutException)
        {
            LogListenNotReady(_logger);
        }
    }

    public Task PingAsync(CancellationToken cancellationToken) => Guard(async () =>
    {
        await using var command = _dataSource.CreateCommand("SELECT 1 FROM events LIMIT 1");
        await command.ExecuteScalarAsync(cancellationToken);
        return 0;
    }, cancellationToken);

    public async Task<AcceptOutcome> AcceptAsync(IncomingDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (_writerLoop is null)
            throw new InvalidOperationException("InitializeAsync has not run.");
        if (!_options.GroupCommit)
        {
            // Without group commit each accept is its own transaction on its own pooled connection, so accepts still
            // run in parallel (PostgreSQL, unlike SQLite, has many writers).
            var outcome = (await Guard(() => CommitAcceptsAsync([delivery], cancellationToken), cancellationToken))[0];
            if (outcome == AcceptOutcome.Accepted)
                _workSignal.Set();
            return outcome;
        }
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
        var maxBatch = Math.Max(1, _options.MaxBatch);
        var batch = new List<PendingAccept>(maxBatch);
        var reader = _accepts.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < maxBatch && reader.TryRead(out var item))
                batch.Add(item);
            // Whatever goes wrong with one batch is that batch's callers' problem (they get a 503 and Gemini retries);
            // the loop itself must keep serving, so that the store recovers on its own once PostgreSQL is back.
            try
            {
                var outcomes = await Guard(
                    () => CommitAcceptsAsync(batch.ConvertAll(p => p.Delivery), CancellationToken.None), CancellationToken.None);
                for (var i = 0; i < batch.Count; i++)
                    batch[i].Completion.TrySetResult(outcomes[i]);
                if (Array.IndexOf(outcomes, AcceptOutcome.Accepted) >= 0)
                    _workSignal.Set();
            }
            catch (Exception e)
            {
                LogCommitFailed(_logger, batch.Count, e.Message);
                foreach (var item in batch)
                    item.Completion.TrySetException(e);
            }
        }
    }

    const string AcceptSql = """
        WITH e AS (
            INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (endpoint, webhook_id) DO NOTHING
            RETURNING id
        ), runs AS (
            INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
            SELECT e.id, h.handler, 'pending', 0, $4, $4 FROM e CROSS JOIN unnest($8::text[]) AS h (handler)
        )
        SELECT id, pg_notify('geminihooks_work', '') FROM e
        """;

    /// <summary>
    /// Commits the deliveries in one transaction, one pipelined round trip for all the inserts.
    /// The NOTIFY rides in the same transaction, so listeners hear of a row only once it is committed,
    /// and PostgreSQL folds the batch's identical notifications into one.
    /// </summary>
    async Task<AcceptOutcome[]> CommitAcceptsAsync(List<IncomingDelivery> deliveries, CancellationToken cancellationToken)
    {
        // Inserting in one global order means two replicas' transactions that share ids wait for each other
        // on the unique index in the same order, which rules out deadlocks between them.
        var order = Enumerable.Range(0, deliveries.Count)
            .OrderBy(i => deliveries[i].Endpoint, StringComparer.Ordinal)
            .ThenBy(i => deliveries[i].WebhookId, StringComparer.Ordinal)
            .ToArray();
        var outcomes = new AcceptOutcome[deliveries.Count];
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var i in order)
        {
            var d = deliveries[i];
            var command = new NpgsqlBatchCommand(AcceptSql);
            command.Parameters.Add(Text(d.Endpoint));
            command.Parameters.Add(Text(d.WebhookId));
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = d.Timestamp });
            command.Parameters.Add(Time(d.ReceivedAt));
            command.Parameters.Add(Text(d.EventType));
            command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = d.Body });
            command.Parameters.Add(Text(d.Handlers.Count == 0 ? EventStatus.Done : EventStatus.Pending));
            command.Parameters.Add(new NpgsqlParameter<string[]>
            {
                NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
                TypedValue = d.Handlers.Distinct(StringComparer.Ordinal).ToArray(),
            });
            batch.BatchCommands.Add(command);
        }
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            foreach (var i in order)
            {
                outcomes[i] = await reader.ReadAsync(cancellationToken) ? AcceptOutcome.Accepted : AcceptOutcome.Duplicate;
                await reader.NextResultAsync(cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return outcomes;
    }

    // A running pair's next_attempt_at is its lease expiry, so one range over the partial index finds both due pending
    // pairs and pairs whose dispatcher died. SKIP LOCKED lets dispatchers on other replicas take the next rows instead of
    // queueing behind this claim; rows another claim committed meanwhile are re-checked against the WHERE and dropped.
    const string ClaimSql = """
        WITH due AS (
            SELECT event_id, handler FROM handler_runs
            WHERE status IN ('pending', 'running') AND next_attempt_at <= $3
            ORDER BY next_attempt_at
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE handler_runs r
            SET status = 'running', attempts = r.attempts + 1, lease_owner = $1, next_attempt_at = $2, updated_at = $3
            FROM due
            WHERE r.event_id = due.event_id AND r.handler = due.handler
            RETURNING r.event_id, r.handler, r.attempts
        )
        SELECT c.event_id, e.endpoint, e.webhook_id, e.webhook_timestamp, e.received_at, e.type, e.body, c.handler, c.attempts
        FROM claimed c JOIN events e ON e.id = c.event_id
        ORDER BY c.event_id, c.handler
        """;

    public Task<IReadOnlyList<DispatchItem>> ClaimAsync(string owner, int max, TimeSpan lease, CancellationToken cancellationToken) =>
        Guard<IReadOnlyList<DispatchItem>>(async () =>
        {
            if (max <= 0)
                return [];
            var now = _time.GetUtcNow();
            var leaseToken = LeaseToken.New(owner);
            await using var command = _dataSource.CreateCommand(ClaimSql);
            command.Parameters.Add(Text(leaseToken));
            command.Parameters.Add(Time(now + lease));
            command.Parameters.Add(Time(now));
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
            var items = new List<DispatchItem>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new DispatchItem(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetFieldValue<byte[]>(6),
                    reader.GetString(7), reader.GetInt32(8), leaseToken));
            }
            return items;
        }, cancellationToken);

    public Task<bool> CompleteAsync(DispatchItem item, CancellationToken cancellationToken) =>
        FinishRunAsync(item, RunStatus.Succeeded, error: null, retryAt: null, cancellationToken);

    public Task<bool> FailAsync(DispatchItem item, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken) =>
        FinishRunAsync(item, retryAt is null ? RunStatus.Dead : RunStatus.Pending, error, retryAt, cancellationToken);

    /// <summary>
    /// Derives each event's status from its pairs. Every transaction that changes pairs first locks the events
    /// (<c>FOR NO KEY UPDATE</c>) and runs this last: two handlers of one event finishing at once on two replicas would
    /// otherwise each see the other's pair still running and leave the event pending for good. (NO KEY: the lock the
    /// status update takes anyway; it does not block the foreign-key checks of pairs being inserted.)
    /// </summary>
    const string RefreshStatusSql = """
        UPDATE events e SET status = CASE
            WHEN EXISTS (SELECT 1 FROM handler_runs r WHERE r.event_id = e.id AND r.status = 'dead') THEN 'dead'
            WHEN EXISTS (SELECT 1 FROM handler_runs r WHERE r.event_id = e.id AND r.status IN ('pending', 'running')) THEN 'pending'
            ELSE 'done' END
        WHERE e.id = ANY($1)
        """;

    Task<bool> FinishRunAsync(DispatchItem item, string status, string? error, DateTimeOffset? retryAt, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            ArgumentNullException.ThrowIfNull(item);
            var now = _time.GetUtcNow();
            // One batch without an explicit transaction runs as one implicit transaction, in one round trip.
            await using var batch = _dataSource.CreateBatch();
            var lockEvent = new NpgsqlBatchCommand("SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE");
            lockEvent.Parameters.Add(new NpgsqlParameter<long> { TypedValue = item.EventId });
            batch.BatchCommands.Add(lockEvent);
            // The claim is fenced by owner and attempt: a dispatcher whose lease expired and was re-claimed changes nothing.
            var update = new NpgsqlBatchCommand("""
                UPDATE handler_runs
                SET status = $1, lease_owner = NULL, next_attempt_at = $2, updated_at = $3, last_error = CASE WHEN $1 = 'succeeded' THEN NULL ELSE COALESCE($4, last_error) END
                WHERE event_id = $5 AND handler = $6 AND status = 'running' AND lease_owner = $7 AND attempts = $8
                """);
            update.Parameters.Add(Text(status));
            update.Parameters.Add(Time(retryAt ?? now));
            update.Parameters.Add(Time(now));
            update.Parameters.Add(Text(error));
            update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = item.EventId });
            update.Parameters.Add(Text(item.Handler));
            update.Parameters.Add(Text(item.Owner));
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = item.Attempt });
            batch.BatchCommands.Add(update);
            var refresh = new NpgsqlBatchCommand(RefreshStatusSql);
            refresh.Parameters.Add(Ids([item.EventId]));
            batch.BatchCommands.Add(refresh);
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return update.RecordsAffected > 0;
        }, cancellationToken);

    public async Task<int?> ReplayAsync(string endpoint, string webhookId, IReadOnlyList<string> handlers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        var distinct = handlers.Distinct(StringComparer.Ordinal).ToArray();
        var queued = await Guard<int?>(async () =>
        {
            var now = _time.GetUtcNow();
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            long eventId;
            await using (var find = new NpgsqlCommand(
                "SELECT id FROM events WHERE endpoint = $1 AND webhook_id = $2 FOR NO KEY UPDATE", connection, transaction))
            {
                find.Parameters.Add(Text(endpoint));
                find.Parameters.Add(Text(webhookId));
                if (await find.ExecuteScalarAsync(cancellationToken) is not long id)
                    return null;
                eventId = id;
            }
            await using (var upsert = new NpgsqlCommand("""
                INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
                SELECT $1, h.handler, 'pending', 0, $2, $2 FROM unnest($3::text[]) AS h (handler)
                ON CONFLICT (event_id, handler) DO UPDATE
                SET status = 'pending', attempts = 0, lease_owner = NULL,
                    next_attempt_at = EXCLUDED.next_attempt_at, updated_at = EXCLUDED.updated_at
                """, connection, transaction))
            {
                upsert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = eventId });
                upsert.Parameters.Add(Time(now));
                upsert.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = distinct });
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
            await RefreshAndNotifyAsync(connection, transaction, [eventId], notify: distinct.Length > 0, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return distinct.Length;
        }, cancellationToken);
        if (queued > 0)
            _workSignal.Set();
        return queued;
    }

    public async Task<int> ReplayDeadLettersAsync(string? eventType, CancellationToken cancellationToken)
    {
        var queued = await Guard(async () =>
        {
            var now = _time.GetUtcNow();
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // Events first, in id order, like every other writer of pairs (see RefreshStatusSql).
            // A dead pair always has a dead event, since the event's status is derived on every change.
            var ids = new List<long>();
            await using (var find = new NpgsqlCommand(
                "SELECT id FROM events WHERE status = 'dead' AND ($1::text IS NULL OR type = $1) ORDER BY id FOR NO KEY UPDATE",
                connection, transaction))
            {
                find.Parameters.Add(Text(eventType));
                await using var reader = await find.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    ids.Add(reader.GetInt64(0));
            }
            if (ids.Count == 0)
                return 0;
            int count;
            await using (var update = new NpgsqlCommand("""
                UPDATE handler_runs
                SET status = 'pending', attempts = 0, lease_owner = NULL, next_attempt_at = $1, updated_at = $1
                WHERE status = 'dead' AND event_id = ANY($2)
                """, connection, transaction))
            {
                update.Parameters.Add(Time(now));
                update.Parameters.Add(Ids(ids));
                count = await update.ExecuteNonQueryAsync(cancellationToken);
            }
            await RefreshAndNotifyAsync(connection, transaction, ids, notify: count > 0, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return count;
        }, cancellationToken);
        if (queued > 0)
            _workSignal.Set();
        return queued;
    }

    static async Task RefreshAndNotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<long> ids,
        bool notify, CancellationToken cancellationToken)
    {
        await using (var refresh = new NpgsqlCommand(RefreshStatusSql, connection, transaction))
        {
            refresh.Parameters.Add(Ids(ids));
            await refresh.ExecuteNonQueryAsync(cancellationToken);
        }
        if (notify)
        {
            await using var command = new NpgsqlCommand($"SELECT pg_notify('{WorkChannel}', '')", connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public Task<EventPage> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) => Guard(async () =>
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, 500);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand { Connection = connection };
        // Only the filters that are set go into the SQL, so each combination gets a plan that uses its index.
        var sql = new StringBuilder("SELECT id, endpoint, webhook_id, webhook_timestamp, received_at, type, status FROM events WHERE true");
        if (query.Status is not null)
        {
            command.Parameters.Add(Text(query.Status));
            sql.Append(CultureInfo.InvariantCulture, $" AND status = ${command.Parameters.Count}");
        }
        if (query.EventType is not null)
        {
            command.Parameters.Add(Text(query.EventType));
            sql.Append(CultureInfo.InvariantCulture, $" AND type = ${command.Parameters.Count}");
        }
        if (long.TryParse(query.Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = cursor });
            sql.Append(CultureInfo.InvariantCulture, $" AND id < ${command.Parameters.Count}");
        }
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 });
        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY id DESC LIMIT ${command.Parameters.Count}");
        command.CommandText = sql.ToString();
        var rows = new List<StoredEvent>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                rows.Add(ReadEvent(reader, withBody: false));
        }
        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(limit);
            next = rows[^1].Id.ToString(CultureInfo.InvariantCulture);
        }
        var runs = await LoadRunsAsync(connection, rows.ConvertAll(r => r.Id), cancellationToken);
        return new EventPage(rows.ConvertAll(r => r with { Handlers = runs.GetValueOrDefault(r.Id, []) }), next);
    }, cancellationToken);

    public Task<StoredEvent?> GetEventAsync(string endpoint, string webhookId, CancellationToken cancellationToken) => Guard(async () =>
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        StoredEvent stored;
        await using (var command = new NpgsqlCommand("""
            SELECT id, endpoint, webhook_id, webhook_timestamp, received_at, type, status, body FROM events
            WHERE endpoint = $1 AND webhook_id = $2
            """, connection))
        {
            command.Parameters.Add(Text(endpoint));
            command.Parameters.Add(Text(webhookId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return null;
            stored = ReadEvent(reader, withBody: true);
        }
        var runs = await LoadRunsAsync(connection, [stored.Id], cancellationToken);
        return (StoredEvent?)(stored with { Handlers = runs.GetValueOrDefault(stored.Id, []) });
    }, cancellationToken);

    public async Task<int> DeleteFinishedAsync(DateTimeOffset receivedBefore, CancellationToken cancellationToken)
    {
        const int chunk = 1000;
        var total = 0;
        while (true)
        {
            // Small chunks keep each transaction short. SKIP LOCKED passes over events a replay holds right now;
            // a replayed event is re-checked after its lock and is no longer 'done', so it is never deleted.
            var deleted = await Guard(async () =>
            {
                await using var command = _dataSource.CreateCommand("""
                    DELETE FROM events WHERE id IN (
                        SELECT id FROM events WHERE status = 'done' AND received_at < $1
                        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
                    """);
                command.Parameters.Add(Time(receivedBefore));
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = chunk });
                return await command.ExecuteNonQueryAsync(cancellationToken);
            }, cancellationToken);
            total += deleted;
            if (deleted < chunk || cancellationToken.IsCancellationRequested)
                return total;
        }
    }

    public Task<BacklogCounts> CountAsync(CancellationToken cancellationToken) => Guard(async () =>
    {
        await using var command = _dataSource.CreateCommand("SELECT status, COUNT(*) FROM handler_runs GROUP BY status");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            counts[reader.GetString(0)] = reader.GetInt64(1);
        return new BacklogCounts(counts.GetValueOrDefault(RunStatus.Pending), counts.GetValueOrDefault(RunStatus.Running),
            counts.GetValueOrDefault(RunStatus.Succeeded), counts.GetValueOrDefault(RunStatus.Dead));
    }, cancellationToken);

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _workSignal.WaitAsync(timeout, _time, cancellationToken);

    /// <summary>
    /// Holds one connection that LISTENs on <see cref="WorkChannel"/> and turns every notification into a local wake-up.
    /// After a failure it reconnects with exponential backoff; notifications sent while it was away are lost, so a
    /// reconnect itself wakes the dispatchers once.
    /// </summary>
    async Task RunListenLoopAsync(CancellationToken stopping)
    {
        var backoff = ListenBackoffMin;
        var connectedBefore = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _listenSource.OpenConnectionAsync(stopping);
                connection.Notification += (_, _) => _workSignal.Set();
                await using (var listen = new NpgsqlCommand($"LISTEN {WorkChannel}", connection))
                    await listen.ExecuteNonQueryAsync(stopping);
                if (connectedBefore)
                {
                    LogListenRestored(_logger);
                    _workSignal.Set();
                }
                connectedBefore = true;
                backoff = ListenBackoffMin;
                _listening.TrySetResult();
                while (true)
                    await connection.WaitAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogListenFailed(_logger, e.Message, backoff);
                try
                {
                    await Task.Delay(backoff, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, ListenBackoffMax.Ticks));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _accepts.Writer.TryComplete();
        if (_writerLoop is not null)
            await _writerLoop;
        await _stopping.CancelAsync();
        if (_listenLoop is not null)
            await _listenLoop;
        await _dataSource.DisposeAsync();
        await _listenSource.DisposeAsync();
        _stopping.Dispose();
        _initializeLock.Dispose();
    }

    static async Task<Dictionary<long, IReadOnlyList<HandlerRun>>> LoadRunsAsync(
        NpgsqlConnection connection, List<long> ids, CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, IReadOnlyList<HandlerRun>>();
        if (ids.Count == 0)
            return result;
        // COLLATE "C": handlers in byte order whatever the database's collation, as the SQLite store lists them.
        await using var command = new NpgsqlCommand("""
            SELECT event_id, handler, status, attempts, next_attempt_at, last_error, updated_at FROM handler_runs
            WHERE event_id = ANY($1) ORDER BY event_id, handler COLLATE "C"
            """, connection);
        command.Parameters.Add(Ids(ids));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var eventId = reader.GetInt64(0);
            if (!result.TryGetValue(eventId, out var list))
                result[eventId] = list = new List<HandlerRun>();
            ((List<HandlerRun>)list).Add(new HandlerRun(reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6)));
        }
        return result;
    }

    static StoredEvent ReadEvent(NpgsqlDataReader reader, bool withBody) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
        reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetString(6), [],
        withBody ? reader.GetFieldValue<byte[]>(7) : (ReadOnlyMemory<byte>?)null);

    static NpgsqlParameter Text(string? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    /// <summary>
    /// Times are stored at millisecond precision, as the SQLite store keeps them, so a value reads back exactly as it
    /// compares (timestamptz would keep microseconds, DateTimeOffset has 100 ns ticks), and in UTC, which Npgsql
    /// requires for timestamptz.
    /// </summary>
    static NpgsqlParameter<DateTimeOffset> Time(DateTimeOffset value) =>
        new NpgsqlParameter<DateTimeOffset> { TypedValue = DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds()) };

    static NpgsqlParameter<long[]> Ids(IEnumerable<long> ids) =>
        new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = ids.ToArray() };

    /// <summary>
    /// Turns every failure to reach or use the database (Npgsql errors, sockets, timeouts) into
    /// <see cref="StoreUnavailableException"/>, so the receiver answers 503 and the sender retries.
    /// The caller's own cancellation passes through unchanged.
    /// </summary>
    async Task<T> Guard<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            if (IsConnectionLoss(e))
            {
                // A lost server leaves every idle pooled connection dead too; dropping them now means the first
                // request after PostgreSQL is back opens a fresh connection instead of failing on a stale one.
                _dataSource.Clear();
            }
            throw new StoreUnavailableException("The PostgreSQL store failed: " + e.Message, e);
        }
    }

    static bool IsUnavailable(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        NpgsqlException or SocketException or IOException or TimeoutException => true,
        _ => false,
    };

    // Class 08 is connection exceptions, 57P0x the server shutting down or restarting; anything that is not a
    // PostgresException is a client-side failure (socket, timeout), where the connection is gone as well.
    static bool IsConnectionLoss(Exception e) => e is not PostgresException pg
        || pg.SqlState.StartsWith("08", StringComparison.Ordinal)
        || pg.SqlState.StartsWith("57P", StringComparison.Ordinal);

    sealed class PendingAccept(IncomingDelivery delivery)
    {
        public IncomingDelivery Delivery { get; } = delivery;
        public TaskCompletionSource<AcceptOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL commit of {Count} deliveries failed: {Reason}")]
    static partial void LogCommitFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for work notifications failed ({Reason}); retrying in {Backoff}")]
    static partial void LogListenFailed(ILogger logger, string reason, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for work notifications again")]
    static partial void LogListenRestored(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not yet listening for work notifications; dispatchers poll until it works")]
    static partial void LogListenNotReady(ILogger logger);
}
