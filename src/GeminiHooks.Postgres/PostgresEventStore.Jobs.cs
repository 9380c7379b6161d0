using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Kit;
using Npgsql;
using NpgsqlTypes;

namespace GeminiHooks.Postgres;

/// <summary>Tracked jobs and job outcomes (see <see cref="IJobStore"/>).</summary>
sealed partial class PostgresEventStore : IJobStore
{
    /// <summary>
    /// A batch holding terminal job events: the others go through the one-statement accept, and each job event is
    /// stored in one transaction of its own (jobs in parallel) that decides, through the job_outcomes primary key, whether it is the job's
    /// first terminal event (runs inserted) or a later one (kept without runs). Two replicas accepting the same job's
    /// events at once serialize on that key: the second insert waits for the first to commit, then finds it taken.
    /// </summary>
    async Task<int> CommitWithJobsAsync(IReadOnlyList<PendingAccept> batch, CancellationToken cancellationToken)
    {
        var plain = batch.Where(p => p.Delivery.Job is null).ToList();
        var accepting = plain.Count > 0 ? CommitAcceptsAsync(plain, cancellationToken) : Task.FromResult(0);
        // Different jobs commit in parallel, each on a pooled connection of its own; one job's events in order, so the
        // first of them in the batch is the one that wins.
        var jobs = batch.Where(p => p.Delivery.Job is not null).GroupBy(p => p.Delivery.Job!.Key).Select(async group =>
        {
            foreach (var pending in group)
                pending.Outcome = await AcceptJobEventAsync(pending.Delivery, cancellationToken);
        });
        await Task.WhenAll(jobs.Append(accepting));
        return await accepting + batch.Count(p => p.Delivery.Job is not null && p.Outcome == AcceptOutcome.Accepted);
    }

    async Task<AcceptOutcome> AcceptJobEventAsync(IncomingDelivery d, CancellationToken cancellationToken)
    {
        var job = d.Job!;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long eventId;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (endpoint, webhook_id) DO NOTHING
            RETURNING id
            """, connection, transaction))
        {
            insert.Parameters.Add(Text(d.Endpoint));
            insert.Parameters.Add(Text(d.WebhookId));
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = d.Timestamp });
            insert.Parameters.Add(Time(d.ReceivedAt));
            insert.Parameters.Add(Text(StoredText.Representable(d.EventType)));
            insert.Parameters.Add(new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = Bytes(d.Body) });
            insert.Parameters.Add(Text(d.InitialStatus));
            if (await insert.ExecuteScalarAsync(cancellationToken) is not long id)
                return AcceptOutcome.Duplicate;
            eventId = id;
        }
        AcceptOutcome outcome;
        await using (var first = new NpgsqlCommand("""
            INSERT INTO job_outcomes (family, job_id, type, endpoint, webhook_id, raw_id, reconciled, at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (family, job_id) DO NOTHING
            RETURNING 1
            """, connection, transaction))
        {
            BindJob(first, job, d);
            outcome = await first.ExecuteScalarAsync(cancellationToken) is null ? AcceptOutcome.Superseded : AcceptOutcome.Accepted;
        }
        if (outcome == AcceptOutcome.Accepted)
        {
            await using var runs = new NpgsqlCommand("""
                INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
                SELECT $1, h, 'pending', 0, $2, $2 FROM unnest($3::text[]) AS h
                """, connection, transaction);
            runs.Parameters.Add(new NpgsqlParameter<long> { TypedValue = eventId });
            runs.Parameters.Add(Time(d.ReceivedAt));
            runs.Parameters.Add(TextArray([.. d.Handlers.Distinct(StringComparer.Ordinal)]));
            await runs.ExecuteNonQueryAsync(cancellationToken);
            await using var notify = new NpgsqlCommand($"SELECT pg_notify('{WorkChannel}', '')", connection, transaction);
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }
        else
        {
            // A new statement sees the outcome the conflicting insert waited for (read committed).
            await using var follower = new NpgsqlCommand("""
                WITH f AS (
                    INSERT INTO job_followers (family, job_id, kind, type, endpoint, webhook_id, raw_id, reconciled, at)
                    SELECT $1, $2, CASE WHEN o.type = $3 THEN 'duplicate' ELSE 'conflict' END, $3, $4, $5, $6, $7, $8
                    FROM job_outcomes o WHERE o.family = $1 AND o.job_id = $2
                    ON CONFLICT (endpoint, webhook_id) DO NOTHING
                    RETURNING kind
                ), done AS (
                    UPDATE events SET status = 'done' WHERE id = $9
                )
                SELECT kind FROM f
                """, connection, transaction);
            BindJob(follower, job, d);
            follower.Parameters.Add(new NpgsqlParameter<long> { TypedValue = eventId });
            if (await follower.ExecuteScalarAsync(cancellationToken) as string == "conflict")
                outcome = AcceptOutcome.Conflict;
        }
        await transaction.CommitAsync(cancellationToken);
        return outcome;
    }

    static void BindJob(NpgsqlCommand command, JobOutcome job, IncomingDelivery d)
    {
        command.Parameters.Add(Text(job.Key.Family));
        command.Parameters.Add(Text(StoredText.Representable(job.Key.JobId)));
        command.Parameters.Add(Text(job.EventType));
        command.Parameters.Add(Text(d.Endpoint));
        command.Parameters.Add(Text(d.WebhookId));
        command.Parameters.Add(Text(StoredText.Representable(job.RawId)));
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = job.Reconciled });
        command.Parameters.Add(Time(d.ReceivedAt));
    }

    const string TrackedJobColumns = """
        t.family, t.job_id, t.name, t.created_at, t.status, t.next_poll_at, t.polls, t.job_state, t.ended_at, t.last_error,
        o.type, o.endpoint, o.webhook_id, o.raw_id, o.reconciled, o.at,
        (SELECT count(*)::int FROM job_followers f WHERE f.family = t.family AND f.job_id = t.job_id AND f.kind = 'duplicate'),
        (SELECT count(*)::int FROM job_followers f WHERE f.family = t.family AND f.job_id = t.job_id AND f.kind = 'conflict')
        FROM tracked_jobs t LEFT JOIN job_outcomes o ON o.family = t.family AND o.job_id = t.job_id
        """;

    public Task<bool> TrackAsync(string name, JobKey key, DateTimeOffset now, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await using var command = _dataSource.CreateCommand("""
            INSERT INTO tracked_jobs (family, job_id, name, created_at, status, next_poll_at, polls, updated_at)
            VALUES ($1, $2, $3, $4, 'open', $4, 0, $4)
            ON CONFLICT (family, job_id) DO NOTHING
            """);
        command.Parameters.Add(Text(key.Family));
        command.Parameters.Add(Text(key.JobId));
        command.Parameters.Add(Text(name));
        command.Parameters.Add(Time(now));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }, cancellationToken);

    public Task<bool> UntrackAsync(JobKey key, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await using var command = _dataSource.CreateCommand("DELETE FROM tracked_jobs WHERE family = $1 AND job_id = $2");
        command.Parameters.Add(Text(key.Family));
        command.Parameters.Add(Text(key.JobId));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }, cancellationToken);

    public Task<IReadOnlyList<TrackedJob>> ListAsync(int limit, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await using var command = _dataSource.CreateCommand($"SELECT {TrackedJobColumns} ORDER BY t.created_at DESC, t.job_id LIMIT $1");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return (IReadOnlyList<TrackedJob>)await ReadTrackedJobsAsync(command, cancellationToken);
    }, cancellationToken);

    public Task<TrackedJob?> GetAsync(JobKey key, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await using var command = _dataSource.CreateCommand($"SELECT {TrackedJobColumns} WHERE t.family = $1 AND t.job_id = $2");
        command.Parameters.Add(Text(key.Family));
        command.Parameters.Add(Text(key.JobId));
        return (await ReadTrackedJobsAsync(command, cancellationToken)).FirstOrDefault();
    }, cancellationToken);

    public Task<IReadOnlyList<TrackedJob>> DueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await using (var close = _dataSource.CreateCommand("""
            UPDATE tracked_jobs SET status = 'delivered', updated_at = $1
            WHERE status IN ('open', 'ended')
              AND EXISTS (SELECT 1 FROM job_outcomes o WHERE o.family = tracked_jobs.family AND o.job_id = tracked_jobs.job_id)
            """))
        {
            close.Parameters.Add(Time(now));
            await close.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var select = _dataSource.CreateCommand($"""
            SELECT {TrackedJobColumns}
            WHERE t.status IN ('open', 'ended') AND t.next_poll_at <= $1
            ORDER BY t.next_poll_at LIMIT $2
            """);
        select.Parameters.Add(Time(now));
        select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
        return (IReadOnlyList<TrackedJob>)await ReadTrackedJobsAsync(select, cancellationToken);
    }, cancellationToken);

    public Task RecordPollAsync(JobKey key, JobPoll poll, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        ArgumentNullException.ThrowIfNull(poll);
        // A job whose outcome arrived meanwhile stays delivered: a poll never reopens it.
        await using var command = _dataSource.CreateCommand("""
            UPDATE tracked_jobs SET status = $1, next_poll_at = $2, polls = $3, job_state = $4, ended_at = $5, last_error = $6, updated_at = $7
            WHERE family = $8 AND job_id = $9 AND status IN ('open', 'ended')
            """);
        command.Parameters.Add(Text(poll.Status));
        command.Parameters.Add(Time(poll.NextPollAt));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = poll.Polls });
        command.Parameters.Add(Text(poll.JobState));
        command.Parameters.Add(poll.EndedAt is { } ended ? Time(ended) : new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = DBNull.Value });
        command.Parameters.Add(Text(poll.Error is null ? null : StoredText.Representable(poll.Error)));
        command.Parameters.Add(Time(poll.Now));
        command.Parameters.Add(Text(key.Family));
        command.Parameters.Add(Text(key.JobId));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }, cancellationToken);

    public Task<IReadOnlyList<JobFollower>> FollowersAsync(JobKey key, CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        await using var command = _dataSource.CreateCommand("""
            SELECT kind, type, endpoint, webhook_id, raw_id, reconciled, at FROM job_followers
            WHERE family = $1 AND job_id = $2 ORDER BY at DESC, webhook_id
            """);
        command.Parameters.Add(Text(key.Family));
        command.Parameters.Add(Text(key.JobId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<JobFollower>();
        while (await reader.ReadAsync(cancellationToken))
            list.Add(new JobFollower(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetBoolean(5), reader.GetFieldValue<DateTimeOffset>(6)));
        return (IReadOnlyList<JobFollower>)list;
    }, cancellationToken);

    static async Task<List<TrackedJob>> ReadTrackedJobsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<TrackedJob>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var outcome = reader.IsDBNull(10) ? null : new JobOutcomeRecord(reader.GetString(10), reader.GetString(11),
                reader.GetString(12), reader.GetString(13), reader.GetBoolean(14), reader.GetFieldValue<DateTimeOffset>(15),
                reader.GetInt32(16), reader.GetInt32(17));
            list.Add(new TrackedJob(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), outcome));
        }
        return list;
    }
}
