using System.Data;
using GeminiHooks.Notifications;

namespace GeminiHooks.Storage.Relational;

/// <summary>
/// Notification occurrences and each kind's send turn (see <see cref="INotificationStore"/>). Dead letters, circuit
/// transitions and reconcile conflicts are inserted into <c>notification_occurrences</c> by triggers (each dialect's
/// migration 6), inside the transaction that dead-letters the pair, moves the circuit or records the follower: nothing
/// on the dispatch path waits for a notification, and an occurrence exists exactly when its cause was committed, on
/// whichever replica. The send state lives in <c>notification_state</c>, so replicas share one schedule per kind.
/// </summary>
public abstract partial class RelationalEventStore : INotificationStore
{
    async Task<int> INotificationStore.SetConditionsAsync(string kind, IReadOnlyDictionary<string, string> active,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(active);
        // Read first: conditions rarely change, and a look that changes nothing must not cost a write on every tick.
        var held = await ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, "SELECT name FROM notification_conditions WHERE kind = @kind");
            Parameter(command, "kind", DbType.String, kind);
            var names = new HashSet<string>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                names.Add(reader.GetString(0));
            return names;
        }, cancellationToken).ConfigureAwait(false);
        var begun = active.Where(a => !held.Contains(a.Key)).ToList();
        var ended = held.Where(h => !active.ContainsKey(h)).ToList();
        if (begun.Count == 0 && ended.Count == 0)
            return 0;
        var now = Time.GetUtcNow();
        return await GuardedWriteAsync(async (connection, transaction) =>
        {
            var raised = 0;
            await using var hold = Command(connection, transaction, """
                INSERT INTO notification_conditions (kind, name, since) VALUES (@kind, @name, @now)
                ON CONFLICT (kind, name) DO NOTHING
                """);
            Parameter(hold, "kind", DbType.String, kind);
            var holdName = Parameter(hold, "name", DbType.String);
            TimeParameter(hold, "now", now);
            await using var occur = Command(connection, transaction,
                "INSERT INTO notification_occurrences (kind, subject, at) VALUES (@kind, @subject, @now)");
            Parameter(occur, "kind", DbType.String, kind);
            var subject = Parameter(occur, "subject", DbType.String);
            TimeParameter(occur, "now", now);
            foreach (var (name, text) in begun)
            {
                // Another replica may have raised it since the read: the unique key lets only the first one through.
                holdName.Value = name;
                if (await hold.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                    continue;
                subject.Value = text;
                await occur.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                raised++;
            }
            await using var forget = Command(connection, transaction, "DELETE FROM notification_conditions WHERE kind = @kind AND name = @name");
            Parameter(forget, "kind", DbType.String, kind);
            var forgetName = Parameter(forget, "name", DbType.String);
            foreach (var name in ended)
            {
                forgetName.Value = name;
                await forget.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return raised;
        }, cancellationToken).ConfigureAwait(false);
    }

    async Task<NotificationBatch?> INotificationStore.TakeNotificationAsync(string kind, string owner, TimeSpan minInterval, TimeSpan lease,
        int sampleSize, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var now = Time.GetUtcNow();
        // Most looks find nothing to send: a read answers them, so idle notifications cost the writer (SQLite's one
        // writer is the accepts' too) nothing.
        var waiting = await ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, """
                SELECT 1 FROM notification_occurrences WHERE kind = @kind AND at <= @since
                  AND NOT EXISTS (SELECT 1 FROM notification_state WHERE kind = @kind
                                  AND (lease_until > @now OR next_attempt_at > @now OR sent_at > @since))
                LIMIT 1
                """);
            Parameter(command, "kind", DbType.String, kind);
            TimeParameter(command, "since", now - minInterval);
            TimeParameter(command, "now", now);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
        }, cancellationToken).ConfigureAwait(false);
        if (!waiting)
            return null;
        return await GuardedWriteAsync<NotificationBatch?>(async (connection, transaction) =>
        {
            await using (var ensure = Command(connection, transaction,
                "INSERT INTO notification_state (kind, failures) VALUES (@kind, 0) ON CONFLICT (kind) DO NOTHING"))
            {
                Parameter(ensure, "kind", DbType.String, kind);
                await ensure.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            // Due: the first unsent occurrence has waited a whole interval (so a burst is gathered into one message), the
            // last message is an interval old, a failed send's retry time has come, and nobody else holds the turn. The
            // conditional update is what keeps two replicas from sending the same message.
            await using (var take = Command(connection, transaction, """
                UPDATE notification_state SET lease_owner = @owner, lease_until = @until
                WHERE kind = @kind
                  AND (lease_until IS NULL OR lease_until <= @now)
                  AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
                  AND (sent_at IS NULL OR sent_at <= @since)
                  AND EXISTS (SELECT 1 FROM notification_occurrences WHERE kind = @kind AND at <= @since)
                """))
            {
                Parameter(take, "kind", DbType.String, kind);
                Parameter(take, "owner", DbType.String, owner);
                TimeParameter(take, "until", now + lease);
                TimeParameter(take, "now", now);
                TimeParameter(take, "since", now - minInterval);
                if (await take.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                    return null;
            }
            // The message reports exactly the rows stamped here: an occurrence whose transaction commits later (with a
            // lower id, on PostgreSQL) is left for the next message instead of being deleted unreported.
            var stamp = Guid.NewGuid().ToString("N");
            await using (var mark = Command(connection, transaction, "UPDATE notification_occurrences SET batch = @stamp WHERE kind = @kind"))
            {
                Parameter(mark, "stamp", DbType.String, stamp);
                Parameter(mark, "kind", DbType.String, kind);
                await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            long count, firstId;
            DateTimeOffset firstAt, lastAt;
            await using (var summary = Command(connection, transaction, """
                SELECT COUNT(*), MIN(id), MIN(at), MAX(at) FROM notification_occurrences WHERE kind = @kind AND batch = @stamp
                """))
            {
                Parameter(summary, "kind", DbType.String, kind);
                Parameter(summary, "stamp", DbType.String, stamp);
                await using var reader = await summary.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                count = reader.GetInt64(0);
                if (count == 0)
                    return null;
                firstId = reader.GetInt64(1);
                firstAt = ReadTime(reader, 2);
                lastAt = ReadTime(reader, 3);
            }
            var subjects = new List<string>();
            await using (var sample = Command(connection, transaction, """
                SELECT subject FROM notification_occurrences WHERE kind = @kind AND batch = @stamp
                GROUP BY subject ORDER BY MIN(id) LIMIT @n
                """))
            {
                Parameter(sample, "kind", DbType.String, kind);
                Parameter(sample, "stamp", DbType.String, stamp);
                Parameter(sample, "n", DbType.Int32, sampleSize);
                await using var reader = await sample.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    subjects.Add(reader.GetString(0));
            }
            int failures;
            await using (var state = Command(connection, transaction, "SELECT failures FROM notification_state WHERE kind = @kind"))
            {
                Parameter(state, "kind", DbType.String, kind);
                failures = Convert.ToInt32(await state.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false),
                    System.Globalization.CultureInfo.InvariantCulture);
            }
            return new NotificationBatch(kind, stamp, firstId, count, subjects, firstAt, lastAt, failures);
        }, cancellationToken).ConfigureAwait(false);
    }

    Task INotificationStore.NotificationSentAsync(NotificationBatch batch, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var now = Time.GetUtcNow();
        return GuardedWriteAsync(async (connection, transaction) =>
        {
            await using (var done = Command(connection, transaction,
                "DELETE FROM notification_occurrences WHERE kind = @kind AND batch = @stamp"))
            {
                Parameter(done, "kind", DbType.String, batch.Kind);
                Parameter(done, "stamp", DbType.String, batch.Stamp);
                await done.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var sent = Command(connection, transaction, """
                UPDATE notification_state
                SET sent_at = @now, failures = 0, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL
                WHERE kind = @kind AND lease_owner = @owner
                """);
            Parameter(sent, "kind", DbType.String, batch.Kind);
            Parameter(sent, "owner", DbType.String, owner);
            TimeParameter(sent, "now", now);
            return await sent.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    Task INotificationStore.NotificationFailedAsync(NotificationBatch batch, string owner, DateTimeOffset retryAt,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var failed = Command(connection, transaction, """
                UPDATE notification_state
                SET failures = failures + 1, next_attempt_at = @retry, lease_owner = NULL, lease_until = NULL
                WHERE kind = @kind AND lease_owner = @owner
                """);
            Parameter(failed, "kind", DbType.String, batch.Kind);
            Parameter(failed, "owner", DbType.String, owner);
            TimeParameter(failed, "retry", retryAt);
            return await failed.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken, singleStatement: true);
    }

    Task<(string WebhookId, DateTimeOffset ReceivedAt)?> INotificationStore.OldestPendingAsync(CancellationToken cancellationToken) =>
        ReadAsync<(string, DateTimeOffset)?>(async (connection, ct) =>
        {
            // events_status (status, id): the first pending event by id is the oldest received, without a scan.
            await using var command = Command(connection, null,
                "SELECT webhook_id, received_at FROM events WHERE status = 'pending' ORDER BY id LIMIT 1");
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                return null;
            return (reader.GetString(0), ReadTime(reader, 1));
        }, cancellationToken);

    Task<int> INotificationStore.PruneNotificationsAsync(IReadOnlyCollection<string> notified, DateTimeOffset before,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notified);
        // Kind names are spliced into the SQL, so only the known ones are (they are plain words).
        var kept = NotificationKinds.All.Where(notified.Contains).Select(k => $"'{k}'").ToList();
        var sql = "DELETE FROM notification_occurrences WHERE at < @before" +
            (kept.Count == 0 ? "" : $" AND kind NOT IN ({string.Join(", ", kept)})");
        return GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var prune = Command(connection, transaction, sql);
            TimeParameter(prune, "before", before);
            return await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken, singleStatement: true);
    }
}
