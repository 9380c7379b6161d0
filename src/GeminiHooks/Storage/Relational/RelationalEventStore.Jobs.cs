using System.Data;
using System.Data.Common;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Storage.Relational;

/// <summary>Tracked jobs and job outcomes (see <see cref="IJobStore"/>).</summary>
public abstract partial class RelationalEventStore : IJobStore
{
    /// <summary>
    /// The job-outcome statements of accept batches, their parameters bound once. The first terminal event per job
    /// inserts the outcome row; a later one finds it taken (the insert waits for a concurrent one to commit), is recorded
    /// as a follower and keeps no handler runs. A new statement sees the outcome the conflicting insert waited for.
    /// </summary>
    sealed class JobOutcomeCommands : IAsyncDisposable
    {
        readonly RelationalEventStore _store;
        readonly DbCommand _insert, _first, _follower, _done;
        readonly JobParameters _insertValues, _followerValues;
        readonly DbParameter _firstFamily, _firstJob, _kind, _doneEvent;

        public JobOutcomeCommands(RelationalEventStore store, DbConnection connection)
        {
            _store = store;
            _insert = Command(connection, null, """
                INSERT INTO job_outcomes (family, job_id, type, endpoint, webhook_id, raw_id, reconciled, at)
                VALUES (@family, @job, @type, @endpoint, @id, @raw, @reconciled, @at)
                ON CONFLICT (family, job_id) DO NOTHING
                """);
            _insertValues = new JobParameters(store, _insert);
            _first = Command(connection, null, "SELECT type FROM job_outcomes WHERE family = @family AND job_id = @job");
            _firstFamily = Parameter(_first, "family", DbType.String);
            _firstJob = Parameter(_first, "job", DbType.String);
            _follower = Command(connection, null, """
                INSERT INTO job_followers (family, job_id, kind, type, endpoint, webhook_id, raw_id, reconciled, at)
                VALUES (@family, @job, @kind, @type, @endpoint, @id, @raw, @reconciled, @at)
                ON CONFLICT (endpoint, webhook_id) DO NOTHING
                """);
            _followerValues = new JobParameters(store, _follower);
            _kind = Parameter(_follower, "kind", DbType.String);
            _done = Command(connection, null, "UPDATE events SET status = 'done' WHERE id = @event");
            _doneEvent = Parameter(_done, "event", DbType.Int64);
        }

        /// <summary>Runs the statements in <paramref name="transaction"/> (the batch being written).</summary>
        public void Enlist(DbTransaction? transaction)
        {
            _insert.Transaction = transaction;
            _first.Transaction = transaction;
            _follower.Transaction = transaction;
            _done.Transaction = transaction;
        }

        /// <summary>Null when this delivery is the job's outcome (its runs are to be inserted); otherwise what it is.</summary>
        public async Task<AcceptOutcome?> RecordAsync(JobOutcome job, IncomingDelivery d, long eventId, CancellationToken cancellationToken)
        {
            _insertValues.Set(job, d);
            // The count of rows inserted, not RETURNING: on SQLite a RETURNING clause makes each insert keep a statement
            // journal, which a batch of accepts wrote to a temporary file.
            if (await _insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
                return null;
            _firstFamily.Value = job.Key.Family;
            _firstJob.Value = StoredText.Representable(job.Key.JobId);
            var firstType = await _first.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
            var conflict = !string.Equals(firstType, job.EventType, StringComparison.Ordinal);
            _followerValues.Set(job, d);
            _kind.Value = conflict ? "conflict" : "duplicate";
            await _follower.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _doneEvent.Value = eventId;
            await _done.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return conflict ? AcceptOutcome.Conflict : AcceptOutcome.Superseded;
        }

        public async ValueTask DisposeAsync()
        {
            await _insert.DisposeAsync().ConfigureAwait(false);
            await _first.DisposeAsync().ConfigureAwait(false);
            await _follower.DisposeAsync().ConfigureAwait(false);
            await _done.DisposeAsync().ConfigureAwait(false);
        }

        /// <summary>The columns an outcome and a follower share, as parameters of one statement.</summary>
        sealed class JobParameters(RelationalEventStore store, DbCommand command)
        {
            readonly DbParameter _family = Parameter(command, "family", DbType.String);
            readonly DbParameter _job = Parameter(command, "job", DbType.String);
            readonly DbParameter _type = Parameter(command, "type", DbType.String);
            readonly DbParameter _endpoint = Parameter(command, "endpoint", DbType.String);
            readonly DbParameter _id = Parameter(command, "id", DbType.String);
            readonly DbParameter _raw = Parameter(command, "raw", DbType.String);
            readonly DbParameter _reconciled = Parameter(command, "reconciled", DbType.Boolean);
            readonly DbParameter _at = store.TimeParameter(command, "at");

            public void Set(JobOutcome job, IncomingDelivery d)
            {
                _family.Value = job.Key.Family;
                _job.Value = StoredText.Representable(job.Key.JobId);
                _type.Value = job.EventType;
                _endpoint.Value = d.Endpoint;
                _id.Value = d.WebhookId;
                _raw.Value = StoredText.Representable(job.RawId);
                _reconciled.Value = job.Reconciled;
                store.SetTime(_at, d.ReceivedAt);
            }
        }
    }

    const string TrackedJobColumns = """
        t.family, t.job_id, t.name, t.created_at, t.status, t.next_poll_at, t.polls, t.job_state, t.ended_at, t.last_error,
        o.type, o.endpoint, o.webhook_id, o.raw_id, o.reconciled, o.at,
        (SELECT count(*) FROM job_followers f WHERE f.family = t.family AND f.job_id = t.job_id AND f.kind = 'duplicate'),
        (SELECT count(*) FROM job_followers f WHERE f.family = t.family AND f.job_id = t.job_id AND f.kind = 'conflict')
        FROM tracked_jobs t LEFT JOIN job_outcomes o ON o.family = t.family AND o.job_id = t.job_id
        """;

    Task<bool> IJobStore.TrackAsync(string name, JobKey key, DateTimeOffset now, CancellationToken cancellationToken) =>
        GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, """
                INSERT INTO tracked_jobs (family, job_id, name, created_at, status, next_poll_at, polls, updated_at)
                VALUES (@family, @job, @name, @now, 'open', @now, 0, @now)
                ON CONFLICT (family, job_id) DO NOTHING
                """);
            BindKey(command, key);
            Parameter(command, "name", DbType.String, name);
            TimeParameter(command, "now", now);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken, singleStatement: true);

    Task<bool> IJobStore.UntrackAsync(JobKey key, CancellationToken cancellationToken) =>
        GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, "DELETE FROM tracked_jobs WHERE family = @family AND job_id = @job");
            BindKey(command, key);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken, singleStatement: true);

    Task<IReadOnlyList<TrackedJob>> IJobStore.ListAsync(int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<TrackedJob>>(async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT {TrackedJobColumns} ORDER BY t.created_at DESC, t.job_id LIMIT @limit");
            Parameter(command, "limit", DbType.Int32, limit);
            return await ReadTrackedJobsAsync(command, ct).ConfigureAwait(false);
        }, cancellationToken);

    Task<TrackedJob?> IJobStore.GetAsync(JobKey key, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"SELECT {TrackedJobColumns} WHERE t.family = @family AND t.job_id = @job");
            BindKey(command, key);
            var jobs = await ReadTrackedJobsAsync(command, ct).ConfigureAwait(false);
            return jobs.Count > 0 ? jobs[0] : null;
        }, cancellationToken);

    Task<IReadOnlyList<TrackedJob>> IJobStore.DueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        GuardedWriteAsync<IReadOnlyList<TrackedJob>>(async (connection, transaction) =>
        {
            // A job whose outcome is recorded has nothing left to poll: closed here rather than returned.
            await using (var close = Command(connection, transaction, """
                UPDATE tracked_jobs SET status = 'delivered', updated_at = @now
                WHERE status IN ('open', 'ended')
                  AND EXISTS (SELECT 1 FROM job_outcomes o WHERE o.family = tracked_jobs.family AND o.job_id = tracked_jobs.job_id)
                """))
            {
                TimeParameter(close, "now", now);
                await close.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var select = Command(connection, transaction, $"""
                SELECT {TrackedJobColumns}
                WHERE t.status IN ('open', 'ended') AND t.next_poll_at <= @now
                ORDER BY t.next_poll_at LIMIT @max
                """);
            TimeParameter(select, "now", now);
            Parameter(select, "max", DbType.Int32, max);
            return await ReadTrackedJobsAsync(select, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    Task IJobStore.RecordPollAsync(JobKey key, JobPoll poll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        return GuardedWriteAsync(async (connection, transaction) =>
        {
            // A job whose outcome arrived meanwhile stays delivered: a poll never reopens it.
            await using var command = Command(connection, transaction, """
                UPDATE tracked_jobs SET status = @status, next_poll_at = @next, polls = @polls, job_state = @state,
                    ended_at = @ended, last_error = @error, updated_at = @now
                WHERE family = @family AND job_id = @job AND status IN ('open', 'ended')
                """);
            Parameter(command, "status", DbType.String, poll.Status);
            TimeParameter(command, "next", poll.NextPollAt);
            Parameter(command, "polls", DbType.Int32, poll.Polls);
            Parameter(command, "state", DbType.String, poll.JobState);
            TimeParameter(command, "ended", poll.EndedAt);
            Parameter(command, "error", DbType.String, poll.Error is null ? null : StoredText.Representable(poll.Error));
            TimeParameter(command, "now", poll.Now);
            BindKey(command, key);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken, singleStatement: true);
    }

    Task<IReadOnlyList<JobFollower>> IJobStore.FollowersAsync(JobKey key, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<JobFollower>>(async (connection, ct) =>
        {
            await using var command = Command(connection, null, """
                SELECT kind, type, endpoint, webhook_id, raw_id, reconciled, at FROM job_followers
                WHERE family = @family AND job_id = @job ORDER BY at DESC, webhook_id
                """);
            BindKey(command, key);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<JobFollower>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new JobFollower(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.GetBoolean(5), ReadTime(reader, 6)));
            return list;
        }, cancellationToken);

    static void BindKey(DbCommand command, JobKey key)
    {
        Parameter(command, "family", DbType.String, key.Family);
        Parameter(command, "job", DbType.String, key.JobId);
    }

    async Task<IReadOnlyList<TrackedJob>> ReadTrackedJobsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<TrackedJob>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var outcome = reader.IsDBNull(10) ? null : new JobOutcomeRecord(reader.GetString(10), reader.GetString(11),
                reader.GetString(12), reader.GetString(13), reader.GetBoolean(14), ReadTime(reader, 15),
                (int)reader.GetInt64(16), (int)reader.GetInt64(17));
            list.Add(new TrackedJob(reader.GetString(0), reader.GetString(1), reader.GetString(2), ReadTime(reader, 3),
                reader.GetString(4), ReadTime(reader, 5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : ReadTime(reader, 8), reader.IsDBNull(9) ? null : reader.GetString(9), outcome));
        }
        return list;
    }
}
