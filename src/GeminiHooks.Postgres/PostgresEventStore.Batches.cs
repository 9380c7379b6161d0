using GeminiHooks.Storage;
using GeminiHooks.Storage.Kit;
using Npgsql;
using NpgsqlTypes;

namespace GeminiHooks.Postgres;

/// <summary>
/// Batches in bulk: a batch of accepts, or of run outcomes, travels as arrays in one round trip instead of one
/// statement per row. (The queues keep the two kinds apart: PostgreSQL has many writers, so they commit in parallel.)
/// The rules are the shared store's (the row-by-row writer in <c>RelationalEventStore.Accept.cs</c>), here as sets.
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
    /// A whole batch in one statement, which is its own transaction: the deliveries arrive as parallel arrays; the first
    /// delivery of each job that is not stored yet claims the job's outcome; the events are inserted with conflicts
    /// resolved by the unique index (a later delivery of a job already done), each with its job; the metadata keys of
    /// the newly inserted events (see SearchKeys) and the pairs of those that are no later delivery of a job are
    /// inserted from their arrays; later deliveries are recorded as followers. Its one NOTIFY, sent only when pairs
    /// were queued, is delivered once it commits. Locks are taken in one order everywhere, which rules out deadlocks
    /// between replicas: job outcomes by (family, job id) before any event (the events' CASE reads the outcomes, so they
    /// are written first), events in (endpoint, webhook id) order.
    /// </summary>
    const string AcceptSql = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::bytea[], $7::text[],
                                 $10::text[], $11::text[], $12::text[], $13::text[], $14::boolean[], $18::text[])
                WITH ORDINALITY AS i (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status,
                                      family, job_id, job_type, raw_id, reconciled, search_job, ord)
        ), candidate AS (
            SELECT DISTINCT ON (family, job_id) * FROM input i
            WHERE family IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM events s WHERE s.endpoint = i.endpoint AND s.webhook_id = i.webhook_id)
            ORDER BY family, job_id, ord
        ), outcome AS (
            -- DO UPDATE (changing nothing) rather than DO NOTHING: it returns the outcome as committed, even one another
            -- replica committed a moment ago, so a later delivery learns the first one's type; xmax = 0 marks a new row.
            INSERT INTO job_outcomes (family, job_id, type, endpoint, webhook_id, raw_id, reconciled, at)
            SELECT family, job_id, job_type, endpoint, webhook_id, raw_id, reconciled, received_at FROM candidate
            ORDER BY family, job_id
            ON CONFLICT (family, job_id) DO UPDATE SET family = EXCLUDED.family
            RETURNING family, job_id, type, endpoint, webhook_id, xmax = 0 AS first
        ), classified AS (
            -- A join, not a subquery per row: the outcome CTE has no index, and a subquery scanned it once per delivery.
            SELECT i.*, CASE
                WHEN i.family IS NULL THEN NULL
                WHEN o.first AND o.endpoint = i.endpoint AND o.webhook_id = i.webhook_id THEN NULL
                WHEN o.type = i.job_type THEN 'duplicate'
                ELSE 'conflict' END AS follows
            FROM input i LEFT JOIN outcome o ON o.family = i.family AND o.job_id = i.job_id
        ), e AS (
            INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status, job)
            SELECT endpoint, webhook_id, webhook_timestamp, received_at, type, body,
                   CASE WHEN follows IS NULL THEN status ELSE 'done' END, search_job
            FROM classified ORDER BY ord
            ON CONFLICT (endpoint, webhook_id) DO NOTHING
            RETURNING id, endpoint, webhook_id
        ), stored AS (
            SELECT e.id, c.* FROM e JOIN classified c ON c.endpoint = e.endpoint AND c.webhook_id = e.webhook_id
        ), runs AS (
            INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
            SELECT s.id, h.handler, 'pending', 0, s.received_at, s.received_at
            FROM stored s JOIN unnest($8::bigint[], $9::text[]) AS h (ord, handler) ON h.ord = s.ord
            WHERE s.follows IS NULL
            RETURNING 1
        ), search_keys AS (
            INSERT INTO event_keys (event_id, name, value)
            SELECT s.id, k.name, k.value
            FROM stored s JOIN unnest($15::bigint[], $16::text[], $17::text[]) AS k (ord, name, value) ON k.ord = s.ord
        ), followers AS (
            INSERT INTO job_followers (family, job_id, kind, type, endpoint, webhook_id, raw_id, reconciled, at)
            SELECT family, job_id, follows, job_type, endpoint, webhook_id, raw_id, reconciled, received_at
            FROM stored WHERE follows IS NOT NULL
            ON CONFLICT (endpoint, webhook_id) DO NOTHING
        ), notified AS (
            -- Only a batch that queued pairs wakes the dispatchers: a claim that finds nothing is a wasted write.
            SELECT pg_notify('geminihooks_work', '') WHERE EXISTS (SELECT 1 FROM runs)
        )
        SELECT ord, follows FROM stored LEFT JOIN notified ON true
        """;

    async Task WriteAcceptsAsync(IReadOnlyList<PendingAccept> batch)
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
        var families = new string?[n];
        var jobIds = new string?[n];
        var jobTypes = new string?[n];
        var rawIds = new string?[n];
        var reconciled = new bool[n];
        var searchJobs = new string?[n];
        var handlerRows = new List<long>();
        var handlerNames = new List<string>();
        var keyRows = new List<long>();
        var keyNames = new List<string>();
        var keyValues = new List<string>();
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
            searchJobs[i] = rows[i].SearchKeys.Job;
            if (d.Job is { } job)
            {
                families[i] = job.Key.Family;
                jobIds[i] = StoredText.Representable(job.Key.JobId);
                jobTypes[i] = job.EventType;
                rawIds[i] = StoredText.Representable(job.RawId);
                reconciled[i] = job.Reconciled;
            }
            foreach (var (name, value) in rows[i].SearchKeys.Metadata)
            {
                keyRows.Add(i + 1);
                keyNames.Add(name);
                keyValues.Add(value);
            }
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
        command.Parameters.Add(Array(NpgsqlDbType.Text, families));
        command.Parameters.Add(Array(NpgsqlDbType.Text, jobIds));
        command.Parameters.Add(Array(NpgsqlDbType.Text, jobTypes));
        command.Parameters.Add(Array(NpgsqlDbType.Text, rawIds));
        command.Parameters.Add(Array(NpgsqlDbType.Boolean, reconciled));
        command.Parameters.Add(Array(NpgsqlDbType.Bigint, keyRows.ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Text, keyNames.ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Text, keyValues.ToArray()));
        command.Parameters.Add(Array(NpgsqlDbType.Text, searchJobs));
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        while (await reader.ReadAsync(CancellationToken.None))
        {
            rows[reader.GetInt64(0) - 1].Outcome = reader.IsDBNull(1) ? AcceptOutcome.Accepted
                : reader.GetString(1) == "duplicate" ? AcceptOutcome.Superseded : AcceptOutcome.Conflict;
        }
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
