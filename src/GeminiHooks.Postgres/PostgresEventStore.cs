using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Kit;
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
sealed partial class PostgresEventStore : IEventStore
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
    readonly GroupCommitQueue<PendingAccept> _accepts;
    readonly GroupCommitQueue<PendingFinish> _finishes;
    readonly StoreLifetime _lifetime = new();
    readonly WorkSignal _workSignal = new();
    readonly CancellationTokenSource _stopping = new();
    readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    Task? _listenLoop;

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
        // The store's statements are few and fixed; prepared once per connection, each execution skips parsing and
        // planning on the server.
        if (!given.ContainsKey("Max Auto Prepare"))
            builder.MaxAutoPrepare = 32;
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
        _accepts = new GroupCommitQueue<PendingAccept>(options.MaxBatch, CommitAsync,
            (count, e) => LogCommitFailed(_logger, count, e.Message));
        _finishes = new GroupCommitQueue<PendingFinish>(options.MaxBatch, CommitFinishesAsync,
            (count, e) => LogFinishFailed(_logger, count, e.Message));
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _lifetime.InitializeOnceAsync(async ct =>
        {
            await GuardAsync(async () =>
            {
                await PostgresSchema.MigrateAsync(_dataSource, ct);
                return 0;
            }, ct);
            _accepts.Start();
            _finishes.Start();
            _listenLoop = Task.Run(() => RunListenLoopAsync(_stopping.Token), CancellationToken.None);
        }, cancellationToken);
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

    public Task PingAsync(CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await using var command = _dataSource.CreateCommand("SELECT 1 FROM events LIMIT 1");
        await command.ExecuteScalarAsync(cancellationToken);
        return 0;
    }, cancellationToken);

    public async Task<AcceptOutcome> AcceptAsync(IncomingDelivery delivery, CancellationToken cancellationToken)
    {
        if (_options.GroupCommit)
            return await PendingAccept.SubmitAsync(delivery, _accepts.EnqueueAsync, cancellationToken);
        // Without group commit each accept is its own transaction on its own pooled connection, so accepts still
        // run in parallel (PostgreSQL, unlike SQLite, has many writers).
        if (!_lifetime.IsInitialized)
            throw new InvalidOperationException("InitializeAsync has not run.");
        var pending = new PendingAccept(AcceptRules.Check(delivery));
        await CommitAsync([pending], cancellationToken);
        return pending.Outcome;
    }

    Task CommitAsync(IReadOnlyList<PendingAccept> batch) => CommitAsync(batch, CancellationToken.None);

    async Task CommitAsync(IReadOnlyList<PendingAccept> batch, CancellationToken cancellationToken)
    {
        await GuardAsync(() => CommitAcceptsAsync(batch, cancellationToken), cancellationToken);
        if (batch.Any(p => p.Outcome == AcceptOutcome.Accepted))
            _workSignal.Set();
    }

    /// <summary>
    /// A whole batch in one statement, so one round trip: the deliveries arrive as parallel arrays, the events are
    /// inserted with conflicts resolved by the unique index, and the pairs of the newly inserted events are inserted
    /// from the handler arrays in the same statement. The statement is its own transaction; its NOTIFY is delivered
    /// once it commits, and PostgreSQL folds the batch's identical notifications into one.
    /// Rows are inserted in (endpoint, webhook id) order: two replicas' batches that share ids then wait for each
    /// other on the unique index in the same order, which rules out deadlocks between them.
    /// </summary>
    const string AcceptSql = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::bytea[], $7::text[])
                WITH ORDINALITY AS i (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status, ord)
        ), e AS (
            INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status)
            SELECT endpoint, webhook_id, webhook_timestamp, received_at, type, body, status FROM input ORDER BY ord
            ON CONFLICT (endpoint, webhook_id) DO NOTHING
            RETURNING id, endpoint, webhook_id, received_at
        ), runs AS (
            INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
            SELECT e.id, h.handler, 'pending', 0, e.received_at, e.received_at
            FROM e
            JOIN input i ON i.endpoint = e.endpoint AND i.webhook_id = e.webhook_id
            JOIN unnest($8::bigint[], $9::text[]) AS h (ord, handler) ON h.ord = i.ord
        )
        SELECT i.ord, pg_notify('geminihooks_work', '') FROM e JOIN input i ON i.endpoint = e.endpoint AND i.webhook_id = e.webhook_id
        """;

    /// <summary>Stores the batch and sets each item's outcome.</summary>
    async Task<int> CommitAcceptsAsync(IReadOnlyList<PendingAccept> batch, CancellationToken cancellationToken)
    {
        // Terminal job events take their own short transaction (see CommitJobAcceptsAsync); every other delivery keeps
        // the one-statement path below and pays nothing for job matching.
        if (batch.Any(p => p.Delivery.Job is not null))
            return await CommitWithJobsAsync(batch, cancellationToken);
        // One row per key: a key twice in one batch is one insert, and its later copies are duplicates of the first.
        var first = new Dictionary<(string, string), PendingAccept>();
        foreach (var pending in batch)
        {
            pending.Outcome = AcceptOutcome.Duplicate;
            first.TryAdd((pending.Delivery.Endpoint, pending.Delivery.WebhookId), pending);
        }
        var rows = first.Values
            .OrderBy(p => p.Delivery.Endpoint, StringComparer.Ordinal)
            .ThenBy(p => p.Delivery.WebhookId, StringComparer.Ordinal)
            .ToArray();
        var n = rows.Length;
        var endpoints = new string[n];
        var ids = new string[n];
        var timestamps = new long[n];
        var received = new DateTimeOffset[n];
        var types = new string[n];
        var bodies = new byte[n][];
        var statuses = new string[n];
        var handlerRows = new List<long>();
        var handlerNames = new List<string>();
        for (var i = 0; i < n; i++)
        {
            var d = rows[i].Delivery;
            endpoints[i] = d.Endpoint;
            ids[i] = d.WebhookId;
            timestamps[i] = d.Timestamp;
            received[i] = Millis(d.ReceivedAt);
            types[i] = StoredText.Representable(d.EventType);
            bodies[i] = Bytes(d.Body);
            statuses[i] = d.InitialStatus;
            foreach (var handler in d.Handlers.Distinct(StringComparer.Ordinal))
            {
                handlerRows.Add(i + 1); // WITH ORDINALITY counts from 1
                handlerNames.Add(handler);
            }
        }
        await using var command = _dataSource.CreateCommand(AcceptSql);
        command.Parameters.Add(TextArray(endpoints));
        command.Parameters.Add(TextArray(ids));
        command.Parameters.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = timestamps });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, TypedValue = received });
        command.Parameters.Add(TextArray(types));
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, TypedValue = bodies });
        command.Parameters.Add(TextArray(statuses));
        command.Parameters.Add(Ids(handlerRows));
        command.Parameters.Add(TextArray([.. handlerNames]));
        var accepted = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows[reader.GetInt64(0) - 1].Outcome = AcceptOutcome.Accepted;
            accepted++;
        }
        return accepted;
    }

    /// <summary>
    /// The body as the array Npgsql binds. The ingest path hands over an array it owns whole (the exact body it
    /// read), so it is bound as is; only a slice of a larger buffer is copied.
    /// </summary>
    static byte[] Bytes(ReadOnlyMemory<byte> body) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0
            && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();

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
        GuardAsync<IReadOnlyList<DispatchItem>>(async () =>
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

    // Outcomes are queued like accepts: at a high dispatch rate one round trip records a whole batch of them,
    // instead of one connection and one round trip each.
    public Task<bool> CompleteAsync(DispatchItem item, CancellationToken cancellationToken) =>
        PendingFinish.SubmitAsync(item, succeeded: true, error: null, retryAt: null, _finishes.EnqueueAsync, cancellationToken);

    public Task<bool> FailAsync(DispatchItem item, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken) =>
        PendingFinish.SubmitAsync(item, succeeded: false, error, retryAt, _finishes.EnqueueAsync, cancellationToken);

    /// <summary>
    /// Derives each event's status from its pairs. Every transaction that changes pairs first locks the events
    /// (<c>FOR NO KEY UPDATE</c>) and runs this last: two handlers of one event finishing at once on two replicas would
    /// otherwise each see the other's pair still running and leave the event pending for good. (NO KEY: the lock the
    /// status update takes anyway; it does not block the foreign-key checks of pairs being inserted.)
    /// </summary>
    static readonly string RefreshStatusSql = StoreSql.RefreshEventStatus("events.id = ANY($1)");

    async Task CommitFinishesAsync(IReadOnlyList<PendingFinish> batch) => await GuardAsync(async () =>
    {
        var now = _time.GetUtcNow();
        var n = batch.Count;
        var eventIds = new long[n];
        var handlers = new string[n];
        var leases = new string[n];
        var attempts = new int[n];
        var statuses = new string[n];
        var nextAt = new DateTimeOffset[n];
        var errors = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var f = batch[i];
            f.Changed = false;
            eventIds[i] = f.Item.EventId;
            handlers[i] = f.Item.Handler;
            leases[i] = f.Item.LeaseToken;
            attempts[i] = f.Item.Attempt;
            statuses[i] = f.Status;
            nextAt[i] = Millis(f.RetryAt ?? now);
            errors[i] = f.Error;
        }
        // Three statements in one round trip, which PostgreSQL runs as one implicit transaction: lock the events
        // (in id order, as every writer of pairs does), record the outcomes, derive the events' status from the
        // pairs as they now are (a later statement sees what an earlier one wrote; a CTE of the same statement would not).
        await using var batchCommand = _dataSource.CreateBatch();
        var lockEvents = new NpgsqlBatchCommand("SELECT 1 FROM events WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE");
        lockEvents.Parameters.Add(Ids(eventIds));
        batchCommand.BatchCommands.Add(lockEvents);
        // Each outcome is fenced by its lease and attempt: a dispatcher whose lease expired and was re-claimed changes nothing.
        var update = new NpgsqlBatchCommand("""
            UPDATE handler_runs r
            SET status = i.status, lease_owner = NULL, next_attempt_at = i.next_at, updated_at = $8,
                last_error = CASE WHEN i.status = 'succeeded' THEN NULL ELSE COALESCE(i.error, r.last_error) END
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[], $7::text[])
                WITH ORDINALITY AS i (event_id, handler, lease, attempt, status, next_at, error, ord)
            WHERE r.event_id = i.event_id AND r.handler = i.handler AND r.status = 'running'
              AND r.lease_owner = i.lease AND r.attempts = i.attempt
            RETURNING i.ord
            """);
        update.Parameters.Add(Ids(eventIds));
        update.Parameters.Add(TextArray(handlers));
        update.Parameters.Add(TextArray(leases));
        update.Parameters.Add(new NpgsqlParameter<int[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, TypedValue = attempts });
        update.Parameters.Add(TextArray(statuses));
        update.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, TypedValue = nextAt });
        update.Parameters.Add(new NpgsqlParameter<string?[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = errors });
        update.Parameters.Add(Time(now));
        batchCommand.BatchCommands.Add(update);
        var refresh = new NpgsqlBatchCommand(RefreshStatusSql);
        refresh.Parameters.Add(Ids(eventIds));
        batchCommand.BatchCommands.Add(refresh);
        await using var reader = await batchCommand.ExecuteReaderAsync(CancellationToken.None);
        await reader.NextResultAsync(CancellationToken.None); // past the lock's rows
        while (await reader.ReadAsync(CancellationToken.None))
            batch[(int)reader.GetInt64(0) - 1].Changed = true;
        return 0;
    }, CancellationToken.None);

    public async Task<int?> ReplayAsync(string endpoint, string webhookId, IReadOnlyList<string> handlers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        if (!AcceptRules.IsStorableKey(endpoint, webhookId))
            return null;
        var distinct = handlers.Distinct(StringComparer.Ordinal).ToArray();
        var queued = await GuardAsync<int?>(async () =>
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
        var queued = await GuardAsync(async () =>
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
                find.Parameters.Add(Text(eventType is null ? null : StoredText.Representable(eventType)));
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

    public Task<EventPage> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        var limit = EventPaging.Limit(query);
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
            command.Parameters.Add(Text(StoredText.Representable(query.EventType)));
            sql.Append(CultureInfo.InvariantCulture, $" AND type = ${command.Parameters.Count}");
        }
        if (EventPaging.Cursor(query) is { } cursor)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = cursor });
            sql.Append(CultureInfo.InvariantCulture, $" AND id < ${command.Parameters.Count}");
        }
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = EventPaging.FetchCount(limit) });
        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY id DESC LIMIT ${command.Parameters.Count}");
        command.CommandText = sql.ToString();
        var rows = new List<StoredEvent>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                rows.Add(ReadEvent(reader, withBody: false));
        }
        var next = EventPaging.CutToPage(rows, limit);
        var runs = await LoadRunsAsync(connection, rows.ConvertAll(r => r.Id), cancellationToken);
        return EventPaging.Page(rows, runs, next);
    }, cancellationToken);

    public Task<StoredEvent?> GetEventAsync(string endpoint, string webhookId, CancellationToken cancellationToken) =>
        !AcceptRules.IsStorableKey(endpoint, webhookId) ? Task.FromResult<StoredEvent?>(null) : GuardAsync(async () =>
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
        return (StoredEvent?)(await LoadRunsAsync(connection, [stored.Id], cancellationToken)).Attach(stored);
    }, cancellationToken);

    // SKIP LOCKED passes over events a replay holds right now; a replayed event is re-checked after its lock and is
    // no longer 'done', so it is never deleted.
    public Task<int> DeleteFinishedAsync(DateTimeOffset receivedBefore, CancellationToken cancellationToken) =>
        Cleanup.InChunksAsync(ct => GuardAsync(async () =>
        {
            await using var command = _dataSource.CreateCommand("""
                DELETE FROM events WHERE id IN (
                    SELECT id FROM events WHERE status = 'done' AND received_at < $1
                    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
                """);
            command.Parameters.Add(Time(receivedBefore));
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Cleanup.ChunkSize });
            return await command.ExecuteNonQueryAsync(ct);
        }, ct), cancellationToken);

    public Task<BacklogCounts> CountAsync(CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await using var command = _dataSource.CreateCommand(StoreSql.CountByStatus);
        var counts = new BacklogCountsReader();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            counts.Add(reader.GetString(0), reader.GetInt64(1));
        return counts.ToCounts();
    }, cancellationToken);

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken) => GuardAsync<DateTimeOffset?>(async () =>
    {
        // handler_runs_due is partial on exactly these statuses and ordered by next_attempt_at: MIN is its first entry.
        await using var command = _dataSource.CreateCommand(
            "SELECT MIN(next_attempt_at) FROM handler_runs WHERE status IN ('pending', 'running')");
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime due
            ? new DateTimeOffset(DateTime.SpecifyKind(due, DateTimeKind.Utc))
            : null;
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
        if (!_lifetime.TryBeginDispose())
            return;
        await _accepts.StopAsync();
        await _finishes.StopAsync();
        await _stopping.CancelAsync();
        if (_listenLoop is not null)
            await _listenLoop;
        await _dataSource.DisposeAsync();
        await _listenSource.DisposeAsync();
        _stopping.Dispose();
        _lifetime.Dispose();
    }

    static async Task<HandlerRunsByEvent> LoadRunsAsync(NpgsqlConnection connection, List<long> ids, CancellationToken cancellationToken)
    {
        var result = new HandlerRunsByEvent();
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
            result.Add(reader.GetInt64(0), new HandlerRun(reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
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
    static NpgsqlParameter<DateTimeOffset> Time(DateTimeOffset value) => new() { TypedValue = Millis(value) };

    static DateTimeOffset Millis(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    static NpgsqlParameter<string[]> TextArray(string[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values };

    static NpgsqlParameter<long[]> Ids(IEnumerable<long> ids) =>
        new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = ids.ToArray() };

    /// <summary>
    /// Sorts database failures by what the sender should do. Data the database refuses (<see cref="IsDataError"/>)
    /// becomes <see cref="StoreRejectedException"/>: retrying cannot help. Every other failure to reach or use the
    /// database (Npgsql errors, sockets, timeouts) becomes <see cref="StoreUnavailableException"/>, so the receiver
    /// answers 503 and the sender retries. The caller's own cancellation passes through unchanged.
    /// </summary>
    async Task<T> GuardAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await work();
        }
        catch (PostgresException e) when (IsDataError(e))
        {
            throw new StoreRejectedException($"PostgreSQL refused the data ({e.SqlState}): {e.MessageText}", e);
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

    /// <summary>
    /// Errors caused by the values of one row: class 22 (data exception, e.g. 22021 a NUL byte or invalid UTF-8,
    /// 22P05 an untranslatable character), class 23 (integrity violation) other than the unique conflicts the
    /// statements resolve themselves (23505 escaping them is a race worth retrying), and class 54 (a value beyond a
    /// limit, e.g. a key too long for its index).
    /// </summary>
    static bool IsDataError(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal)
        || (e.SqlState.StartsWith("23", StringComparison.Ordinal) && e.SqlState != PostgresErrorCodes.UniqueViolation)
        || e.SqlState.StartsWith("54", StringComparison.Ordinal);

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

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL commit of {Count} deliveries failed: {Reason}")]
    static partial void LogCommitFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL commit of {Count} run outcomes failed: {Reason}")]
    static partial void LogFinishFailed(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for work notifications failed ({Reason}); retrying in {Backoff}")]
    static partial void LogListenFailed(ILogger logger, string reason, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for work notifications again")]
    static partial void LogListenRestored(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not yet listening for work notifications; dispatchers poll until it works")]
    static partial void LogListenNotReady(ILogger logger);
}
