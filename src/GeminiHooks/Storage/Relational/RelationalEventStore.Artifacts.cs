using System.Data;
using System.Data.Common;
using GeminiHooks.Artifacts;

namespace GeminiHooks.Storage.Relational;

/// <summary>Artifacts (downloads of batch outputs and videos) and result-handler checkpoints (see <see cref="IArtifactRecords"/>).</summary>
public abstract partial class RelationalEventStore : IArtifactRecords
{
    const string ArtifactColumns = """
        id, family, job_id, job, kind, file, status, event_at, size, bytes_done, sha256, location, fetched_at,
        source_expires_at, attempts, next_attempt_at, last_error
        """;

    Task<bool> IArtifactRecords.AddArtifactAsync(ArtifactRequest request, CancellationToken cancellationToken) =>
        GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, """
                INSERT INTO artifacts (family, job_id, job, kind, file, status, event_at, bytes_done, attempts, next_attempt_at, updated_at)
                VALUES (@family, @job_id, @job, @kind, @file, 'pending', @event_at, 0, 0, @event_at, @event_at)
                ON CONFLICT (family, job_id) DO NOTHING
                """);
            Parameter(command, "family", DbType.String, request.Family);
            Parameter(command, "job_id", DbType.String, request.JobId);
            Parameter(command, "job", DbType.String, request.Job);
            Parameter(command, "kind", DbType.String, request.Kind);
            Parameter(command, "file", DbType.String, request.File);
            TimeParameter(command, "event_at", Millis(request.EventAt));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken, singleStatement: true);

    Task<ArtifactRecord?> IArtifactRecords.ClaimArtifactAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil,
        CancellationToken cancellationToken) =>
        GuardedWriteAsync(async (connection, transaction) =>
        {
            // The outer WHERE repeats the due test: on PostgreSQL a concurrent claimer of the same row re-checks it after
            // the first commits, finds the lease renewed, and claims nothing.
            await using var command = Command(connection, transaction, $"""
                UPDATE artifacts SET status = 'downloading', lease_owner = @owner, attempts = attempts + 1,
                    next_attempt_at = @until, updated_at = @now
                WHERE id = (SELECT id FROM artifacts WHERE status IN ('pending', 'downloading') AND next_attempt_at <= @now
                            ORDER BY next_attempt_at, id LIMIT 1)
                  AND status IN ('pending', 'downloading') AND next_attempt_at <= @now
                RETURNING {ArtifactColumns}
                """);
            Parameter(command, "owner", DbType.String, owner);
            TimeParameter(command, "now", Millis(now));
            TimeParameter(command, "until", Millis(leaseUntil));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadArtifact(reader) : null;
        }, cancellationToken, singleStatement: true);

    Task<bool> IArtifactRecords.SaveArtifactProgressAsync(long id, string owner, string file, long? size, long bytesDone,
        DateTimeOffset? sourceExpiresAt, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        ArtifactUpdateAsync("""
            UPDATE artifacts SET file = @file, size = @size, bytes_done = @bytes_done, source_expires_at = @expires,
                next_attempt_at = @until, updated_at = @until
            WHERE id = @id AND lease_owner = @owner AND status = 'downloading'
            """, id, owner, command =>
        {
            Parameter(command, "file", DbType.String, file);
            Parameter(command, "size", DbType.Int64, size);
            Parameter(command, "bytes_done", DbType.Int64, bytesDone);
            TimeParameter(command, "expires", sourceExpiresAt is { } e ? Millis(e) : null);
            TimeParameter(command, "until", Millis(leaseUntil));
        }, cancellationToken);

    Task<bool> IArtifactRecords.StoreArtifactAsync(long id, string owner, string file, long size, string sha256, string location,
        DateTimeOffset fetchedAt, CancellationToken cancellationToken) =>
        ArtifactUpdateAsync("""
            UPDATE artifacts SET status = 'stored', file = @file, size = @size, bytes_done = @size, sha256 = @sha256, location = @location,
                fetched_at = @at, lease_owner = NULL, last_error = NULL, updated_at = @at
            WHERE id = @id AND lease_owner = @owner AND status = 'downloading'
            """, id, owner, command =>
        {
            Parameter(command, "file", DbType.String, file);
            Parameter(command, "size", DbType.Int64, size);
            Parameter(command, "sha256", DbType.String, sha256);
            Parameter(command, "location", DbType.String, location);
            TimeParameter(command, "at", Millis(fetchedAt));
        }, cancellationToken);

    Task<bool> IArtifactRecords.FailArtifactAsync(long id, string owner, string error, DateTimeOffset? retryAt, string finalStatus,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        ArtifactUpdateAsync("""
            UPDATE artifacts SET status = @status, next_attempt_at = @retry, last_error = @error, lease_owner = NULL, updated_at = @now
            WHERE id = @id AND lease_owner = @owner AND status = 'downloading'
            """, id, owner, command =>
        {
            Parameter(command, "status", DbType.String, retryAt is null ? finalStatus : ArtifactStatus.Pending);
            TimeParameter(command, "retry", Millis(retryAt ?? now));
            Parameter(command, "error", DbType.String, error.Length > 1000 ? error[..1000] : error);
            TimeParameter(command, "now", Millis(now));
        }, cancellationToken);

    Task<bool> ArtifactUpdateAsync(string sql, long id, string owner, Action<DbCommand> bind, CancellationToken cancellationToken) =>
        GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, sql);
            Parameter(command, "id", DbType.Int64, id);
            Parameter(command, "owner", DbType.String, owner);
            bind(command);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken, singleStatement: true);

    Task<IReadOnlyList<ArtifactRecord>> IArtifactRecords.ListArtifactsAsync(string? status, string? family, string? jobId, int limit,
        CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ArtifactRecord>>(async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT {ArtifactColumns} FROM artifacts
                WHERE (@status IS NULL OR status = @status) AND (@family IS NULL OR family = @family) AND (@job IS NULL OR job_id = @job)
                ORDER BY id DESC LIMIT @limit
                """);
            Parameter(command, "status", DbType.String, status);
            Parameter(command, "family", DbType.String, family);
            Parameter(command, "job", DbType.String, jobId);
            Parameter(command, "limit", DbType.Int32, limit);
            var list = new List<ArtifactRecord>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                list.Add(ReadArtifact(reader));
            return list;
        }, cancellationToken);

    Task<long> IArtifactRecords.CountOverdueArtifactsAsync(DateTimeOffset eventBefore, CancellationToken cancellationToken) =>
        ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null,
                "SELECT count(*) FROM artifacts WHERE status IN ('pending', 'downloading', 'failed') AND event_at < @before");
            TimeParameter(command, "before", Millis(eventBefore));
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);

    Task<ResultPass?> IArtifactRecords.ClaimResultPassAsync(string handler, string owner, DateTimeOffset now, DateTimeOffset leaseUntil,
        CancellationToken cancellationToken) =>
        GuardedWriteAsync(async (connection, transaction) =>
        {
            ArtifactRecord? artifact;
            await using (var find = Command(connection, transaction, $"""
                SELECT {ArtifactColumns} FROM artifacts a
                WHERE a.status = 'stored' AND a.kind = 'responses' AND NOT EXISTS (
                    SELECT 1 FROM artifact_checkpoints c WHERE c.artifact_id = a.id AND c.handler = @handler
                      AND (c.done_at IS NOT NULL OR c.lease_until > @now))
                ORDER BY a.id LIMIT 1
                """))
            {
                Parameter(find, "handler", DbType.String, handler);
                TimeParameter(find, "now", Millis(now));
                await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                artifact = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadArtifact(reader) : null;
            }
            if (artifact is null)
                return null;
            // Insert-or-take-over, only while nobody holds it and it is not done; the lease fences every later save.
            await using var claim = Command(connection, transaction, """
                INSERT INTO artifact_checkpoints (artifact_id, handler, line, lease_owner, lease_until, updated_at)
                VALUES (@id, @handler, 0, @owner, @until, @now)
                ON CONFLICT (artifact_id, handler) DO UPDATE SET lease_owner = @owner, lease_until = @until, updated_at = @now
                WHERE artifact_checkpoints.done_at IS NULL AND artifact_checkpoints.lease_until <= @now
                RETURNING line
                """);
            Parameter(claim, "id", DbType.Int64, artifact.Id);
            Parameter(claim, "handler", DbType.String, handler);
            Parameter(claim, "owner", DbType.String, owner);
            TimeParameter(claim, "until", Millis(leaseUntil));
            TimeParameter(claim, "now", Millis(now));
            var line = await claim.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return line is null or DBNull ? null : new ResultPass(artifact, handler, Convert.ToInt64(line, System.Globalization.CultureInfo.InvariantCulture));
        }, cancellationToken);

    Task<bool> IArtifactRecords.SaveCheckpointAsync(long artifactId, string handler, string owner, long line, bool done, DateTimeOffset now,
        DateTimeOffset leaseUntil, string? error, CancellationToken cancellationToken) =>
        GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, """
                UPDATE artifact_checkpoints SET line = @line, done_at = @done, lease_until = @until, last_error = @error, updated_at = @now
                WHERE artifact_id = @id AND handler = @handler AND lease_owner = @owner AND done_at IS NULL
                """);
            Parameter(command, "id", DbType.Int64, artifactId);
            Parameter(command, "handler", DbType.String, handler);
            Parameter(command, "owner", DbType.String, owner);
            Parameter(command, "line", DbType.Int64, line);
            TimeParameter(command, "done", done ? Millis(now) : null);
            TimeParameter(command, "until", Millis(leaseUntil));
            Parameter(command, "error", DbType.String, error is { Length: > 1000 } ? error[..1000] : error);
            TimeParameter(command, "now", Millis(now));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken, singleStatement: true);

    Task<IReadOnlyList<(string Handler, long Line, bool Done, string? Error)>> IArtifactRecords.ListCheckpointsAsync(long artifactId,
        CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<(string, long, bool, string?)>>(async (connection, ct) =>
        {
            await using var command = Command(connection, null, $"""
                SELECT handler, line, done_at, last_error FROM artifact_checkpoints WHERE artifact_id = @id ORDER BY {HandlerNameOrder}
                """);
            Parameter(command, "id", DbType.Int64, artifactId);
            var list = new List<(string, long, bool, string?)>();
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                list.Add((reader.GetString(0), reader.GetInt64(1), !reader.IsDBNull(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            return list;
        }, cancellationToken);

    ArtifactRecord ReadArtifact(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        ReadTime(r, 7),
        r.IsDBNull(8) ? null : r.GetInt64(8),
        r.GetInt64(9),
        r.IsDBNull(10) ? null : r.GetString(10),
        r.IsDBNull(11) ? null : r.GetString(11),
        r.IsDBNull(12) ? null : ReadTime(r, 12),
        r.IsDBNull(13) ? null : ReadTime(r, 13),
        r.GetInt32(14),
        ReadTime(r, 15),
        r.IsDBNull(16) ? null : r.GetString(16));
}
