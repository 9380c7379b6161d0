using GeminiHooks.Storage;
using GeminiHooks.Storage.Kit;
using Npgsql;
using NpgsqlTypes;

namespace GeminiHooks.Postgres;

/// <summary>
/// Batches in bulk: a batch of accepts, or of run outcomes, travels as arrays in one round trip instead of one
/// statement per row. (The queues keep the two kinds apart: PostgreSQL has many writers, so they commit in parallel.)
/// </summary>
sealed partial class PostgresEventStore
{
    protected override async Task WriteBatchAsync(IReadOnlyList<PendingAccept> accepts, IReadOnlyList<PendingFinish> outcomes)
    {
        if (outcomes.Count > 0)
            await WriteOutcomesAsync(outcomes);
        if (accepts.Count > 0)
            await WriteAcceptsAsync(accepts);
    }

    /// <summary>
    /// Deliveries that are no terminal job event take the one-statement path below and pay nothing for job matching.
    /// Terminal job events are written as rows (the shared accept), one transaction per job, jobs in parallel on pooled
    /// connections, one job's events in order so the first of them in the batch is the one that wins. Two replicas
    /// accepting the same job at once serialize on the job_outcomes key.
    /// </summary>
    async Task WriteAcceptsAsync(IReadOnlyList<PendingAccept> accepts)
    {
        var plain = accepts.Where(p => p.Delivery.Job is null).ToList();
        var writes = accepts.Where(p => p.Delivery.Job is not null)
            .GroupBy(p => p.Delivery.Job!.Key)
            .Select(Task (job) => WriteAsync(async (connection, transaction) =>
            {
                await WriteAcceptRowsAsync(connection, transaction, job.ToList(), CancellationToken.None);
                return 0;
            }, singleStatement: false, CancellationToken.None))
            .ToList();
        if (plain.Count > 0)
            writes.Add(WritePlainAcceptsAsync(plain));
        await Task.WhenAll(writes);
    }

    /// <summary>
    /// A whole batch in one statement: the deliveries arrive as parallel arrays, the events are inserted with conflicts
    /// resolved by the unique index, and the pairs of the newly inserted events are inserted from the handler arrays in
    /// the same statement, which is its own transaction; its NOTIFY is delivered once it commits, and PostgreSQL folds
    /// the batch's identical notifications into one. Rows are inserted in (endpoint, webhook id) order: two replicas'
    /// batches that share ids then wait for each other on the unique index in the same order, which rules out deadlocks.
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

    async Task WritePlainAcceptsAsync(IReadOnlyList<PendingAccept> batch)
    {
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
            bodies[i] = BodyArray(d.Body);
            statuses[i] = d.InitialStatus;
            foreach (var handler in d.Handlers.Distinct(StringComparer.Ordinal))
            {
                handlerRows.Add(i + 1); // WITH ORDINALITY counts from 1
                handlerNames.Add(handler);
            }
        }
        await using var command = _dataSource.CreateCommand(AcceptSql);
        command.Parameters.Add(Array(NpgsqlDbType.Text, endpoints));
        command.Parameters.Add(Array(NpgsqlDbType.Text, ids));
        command.Parameters.Add(Array(NpgsqlDbType.Bigint, timestamps));
        command.Parameters.Add(Array(NpgsqlDbType.TimestampTz, received));
        command.Parameters.Add(Array(NpgsqlDbType.Text, types));
        command.Parameters.Add(Array(NpgsqlDbType.Bytea, bodies));
        command.Parameters.Add(Array(NpgsqlDbType.Text, statuses));
        command.Parameters.Add(Array(NpgsqlDbType.Bigint, handlerRows.ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Text, handlerNames.ToArray()));
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        while (await reader.ReadAsync(CancellationToken.None))
            rows[reader.GetInt64(0) - 1].Outcome = AcceptOutcome.Accepted;
    }

    /// <summary>
    /// Three statements in one round trip, which PostgreSQL runs as one implicit transaction: lock the events (in id
    /// order, as every writer of pairs does), record the outcomes fenced by lease and attempt, derive the events' status
    /// from the pairs as they now are (a later statement sees what an earlier one wrote; a CTE of the same statement
    /// would not).
    /// </summary>
    async Task WriteOutcomesAsync(IReadOnlyList<PendingFinish> batch)
    {
        var now = Time.GetUtcNow();
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
        await using var command = _dataSource.CreateBatch();
        var lockEvents = new NpgsqlBatchCommand("SELECT 1 FROM events WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE");
        lockEvents.Parameters.Add(Array(NpgsqlDbType.Bigint, eventIds));
        command.BatchCommands.Add(lockEvents);
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
        update.Parameters.Add(Array(NpgsqlDbType.Bigint, eventIds));
        update.Parameters.Add(Array(NpgsqlDbType.Text, handlers));
        update.Parameters.Add(Array(NpgsqlDbType.Text, leases));
        update.Parameters.Add(Array(NpgsqlDbType.Integer, attempts));
        update.Parameters.Add(Array(NpgsqlDbType.Text, statuses));
        update.Parameters.Add(Array(NpgsqlDbType.TimestampTz, nextAt));
        update.Parameters.Add(Array(NpgsqlDbType.Text, errors));
        update.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = Millis(now) });
        command.BatchCommands.Add(update);
        var refresh = new NpgsqlBatchCommand(StoreSql.RefreshEventStatus("events.id = ANY($1)"));
        refresh.Parameters.Add(Array(NpgsqlDbType.Bigint, eventIds));
        command.BatchCommands.Add(refresh);
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        await reader.NextResultAsync(CancellationToken.None); // past the lock's rows
        while (await reader.ReadAsync(CancellationToken.None))
            batch[(int)reader.GetInt64(0) - 1].Changed = true;
    }

    static NpgsqlParameter<T[]> Array<T>(NpgsqlDbType elementType, T[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | elementType, TypedValue = values };
}
