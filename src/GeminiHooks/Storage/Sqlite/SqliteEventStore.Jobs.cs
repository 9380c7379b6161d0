using GeminiHooks.Reconciliation;
using Microsoft.Data.Sqlite;

namespace GeminiHooks.Storage.Sqlite;

/// <summary>Tracked jobs and job outcomes (see <see cref="IJobStore"/>).</summary>
sealed partial class SqliteEventStore : IJobStore
{
    /// <summary>
    /// The job-outcome statements of one accept batch. Only terminal job events reach them; every other delivery costs
    /// nothing here. The first terminal event per job inserts the outcome row; a later one finds it taken (one indexed
    /// read in the same transaction), is recorded as a follower and keeps no handler runs.
    /// </summary>
    sealed class JobOutcomeCommands(SqliteConnection writer, SqliteTransaction transaction) : IDisposable
    {
        readonly SqliteCommand _insert = Command(writer, transaction, """
            INSERT INTO job_outcomes (family, job_id, type, endpoint, webhook_id, raw_id, reconciled, at)
            VALUES ($family, $job, $type, $endpoint, $id, $raw, $reconciled, $at)
            ON CONFLICT (family, job_id) DO NOTHING
            RETURNING 1
            """);
        readonly SqliteCommand _first = Command(writer, transaction, "SELECT type FROM job_outcomes WHERE family = $family AND job_id = $job");
        readonly SqliteCommand _follower = Command(writer, transaction, """
            INSERT INTO job_followers (family, job_id, kind, type, endpoint, webhook_id, raw_id, reconciled, at)
            VALUES ($family, $job, $kind, $type, $endpoint, $id, $raw, $reconciled, $at)
            ON CONFLICT (endpoint, webhook_id) DO NOTHING
            """);
        readonly SqliteCommand _done = Command(writer, transaction, "UPDATE events SET status = 'done' WHERE id = $event");

        /// <summary>Null when this delivery is the job's outcome (its runs are to be inserted); otherwise what it is.</summary>
        public AcceptOutcome? Record(JobOutcome job, IncomingDelivery d, long eventId)
        {
            Bind(_insert, job, d);
            if (_insert.ExecuteScalar() is not null)
                return null;
            _first.Parameters.Clear();
            _first.Parameters.AddWithValue("$family", job.Key.Family);
            _first.Parameters.AddWithValue("$job", job.Key.JobId);
            var firstType = (string?)_first.ExecuteScalar();
            var conflict = !string.Equals(firstType, job.EventType, StringComparison.Ordinal);
            Bind(_follower, job, d);
            _follower.Parameters.AddWithValue("$kind", conflict ? "conflict" : "duplicate");
            _follower.ExecuteNonQuery();
            _done.Parameters.Clear();
            _done.Parameters.AddWithValue("$event", eventId);
            _done.ExecuteNonQuery();
            return conflict ? AcceptOutcome.Conflict : AcceptOutcome.Superseded;
        }

        static void Bind(SqliteCommand command, JobOutcome job, IncomingDelivery d)
        {
            command.Parameters.Clear();
            command.Parameters.AddWithValue("$family", job.Key.Family);
            command.Parameters.AddWithValue("$job", Kit.StoredText.Representable(job.Key.JobId));
            command.Parameters.AddWithValue("$type", job.EventType);
            command.Parameters.AddWithValue("$endpoint", d.Endpoint);
            command.Parameters.AddWithValue("$id", d.WebhookId);
            command.Parameters.AddWithValue("$raw", Kit.StoredText.Representable(job.RawId));
            command.Parameters.AddWithValue("$reconciled", job.Reconciled ? 1 : 0);
            command.Parameters.AddWithValue("$at", d.ReceivedAt.ToUnixTimeMilliseconds());
        }

        static SqliteCommand Command(SqliteConnection writer, SqliteTransaction transaction, string sql)
        {
            var command = writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            return command;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _first.Dispose();
            _follower.Dispose();
            _done.Dispose();
        }
    }

    const string TrackedJobColumns = """
        t.family, t.job_id, t.name, t.created_at, t.status, t.next_poll_at, t.polls, t.job_state, t.ended_at, t.last_error,
        o.type, o.endpoint, o.webhook_id, o.raw_id, o.reconciled, o.at,
        (SELECT count(*) FROM job_followers f WHERE f.family = t.family AND f.job_id = t.job_id AND f.kind = 'duplicate'),
        (SELECT count(*) FROM job_followers f WHERE f.family = t.family AND f.job_id = t.job_id AND f.kind = 'conflict')
        FROM tracked_jobs t LEFT JOIN job_outcomes o ON o.family = t.family AND o.job_id = t.job_id
        """;

    public Task<bool> TrackAsync(string name, JobKey key, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync((connection, _) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO tracked_jobs (family, job_id, name, created_at, status, next_poll_at, polls, updated_at)
                VALUES ($family, $job, $name, $now, 'open', $now, 0, $now)
                ON CONFLICT (family, job_id) DO NOTHING
                """;
            command.Parameters.AddWithValue("$family", key.Family);
            command.Parameters.AddWithValue("$job", key.JobId);
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    public Task<bool> UntrackAsync(JobKey key, CancellationToken cancellationToken) =>
        WriteAsync((connection, _) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM tracked_jobs WHERE family = $family AND job_id = $job";
            command.Parameters.AddWithValue("$family", key.Family);
            command.Parameters.AddWithValue("$job", key.JobId);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    public Task<IReadOnlyList<TrackedJob>> ListAsync(int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<TrackedJob>>((connection, _) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {TrackedJobColumns} ORDER BY t.created_at DESC, t.job_id LIMIT $limit";
            command.Parameters.AddWithValue("$limit", limit);
            return ReadTrackedJobs(command);
        }, cancellationToken);

    public Task<TrackedJob?> GetAsync(JobKey key, CancellationToken cancellationToken) =>
        ReadAsync((connection, _) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {TrackedJobColumns} WHERE t.family = $family AND t.job_id = $job";
            command.Parameters.AddWithValue("$family", key.Family);
            command.Parameters.AddWithValue("$job", key.JobId);
            return ReadTrackedJobs(command).FirstOrDefault();
        }, cancellationToken);

    public Task<IReadOnlyList<TrackedJob>> DueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<TrackedJob>>((connection, _) =>
        {
            var at = now.ToUnixTimeMilliseconds();
            using var transaction = connection.BeginTransaction();
            using (var close = connection.CreateCommand())
            {
                close.Transaction = transaction;
                close.CommandText = """
                    UPDATE tracked_jobs SET status = 'delivered', updated_at = $now
                    WHERE status IN ('open', 'ended')
                      AND EXISTS (SELECT 1 FROM job_outcomes o WHERE o.family = tracked_jobs.family AND o.job_id = tracked_jobs.job_id)
                    """;
                close.Parameters.AddWithValue("$now", at);
                close.ExecuteNonQuery();
            }
            IReadOnlyList<TrackedJob> due;
            using (var select = connection.CreateCommand())
            {
                select.Transaction = transaction;
                select.CommandText = $"""
                    SELECT {TrackedJobColumns}
                    WHERE t.status IN ('open', 'ended') AND t.next_poll_at <= $now
                    ORDER BY t.next_poll_at LIMIT $max
                    """;
                select.Parameters.AddWithValue("$now", at);
                select.Parameters.AddWithValue("$max", max);
                due = ReadTrackedJobs(select);
            }
            transaction.Commit();
            return due;
        }, cancellationToken);

    public Task RecordPollAsync(JobKey key, JobPoll poll, CancellationToken cancellationToken) =>
        WriteAsync((connection, _) =>
        {
            ArgumentNullException.ThrowIfNull(poll);
            using var command = connection.CreateCommand();
            // A job whose outcome arrived meanwhile stays delivered: a poll never reopens it.
            command.CommandText = """
                UPDATE tracked_jobs SET status = $status, next_poll_at = $next, polls = $polls, job_state = $state,
                    ended_at = $ended, last_error = $error, updated_at = $now
                WHERE family = $family AND job_id = $job AND status IN ('open', 'ended')
                """;
            command.Parameters.AddWithValue("$status", poll.Status);
            command.Parameters.AddWithValue("$next", poll.NextPollAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$polls", poll.Polls);
            command.Parameters.AddWithValue("$state", (object?)poll.JobState ?? DBNull.Value);
            command.Parameters.AddWithValue("$ended", (object?)poll.EndedAt?.ToUnixTimeMilliseconds() ?? DBNull.Value);
            command.Parameters.AddWithValue("$error", poll.Error is null ? DBNull.Value : Kit.StoredText.Representable(poll.Error));
            command.Parameters.AddWithValue("$now", poll.Now.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$family", key.Family);
            command.Parameters.AddWithValue("$job", key.JobId);
            return command.ExecuteNonQuery();
        }, cancellationToken);

    public Task<IReadOnlyList<JobFollower>> FollowersAsync(JobKey key, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<JobFollower>>((connection, _) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT kind, type, endpoint, webhook_id, raw_id, reconciled, at FROM job_followers
                WHERE family = $family AND job_id = $job ORDER BY at DESC, webhook_id
                """;
            command.Parameters.AddWithValue("$family", key.Family);
            command.Parameters.AddWithValue("$job", key.JobId);
            using var reader = command.ExecuteReader();
            var list = new List<JobFollower>();
            while (reader.Read())
                list.Add(new JobFollower(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.GetInt64(5) != 0, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
            return list;
        }, cancellationToken);

    static List<TrackedJob> ReadTrackedJobs(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var list = new List<TrackedJob>();
        while (reader.Read())
        {
            var outcome = reader.IsDBNull(10) ? null : new JobOutcomeRecord(reader.GetString(10), reader.GetString(11),
                reader.GetString(12), reader.GetString(13), reader.GetInt64(14) != 0,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(15)), reader.GetInt32(16), reader.GetInt32(17));
            list.Add(new TrackedJob(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), reader.GetString(4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : reader.GetString(9), outcome));
        }
        return list;
    }
}
