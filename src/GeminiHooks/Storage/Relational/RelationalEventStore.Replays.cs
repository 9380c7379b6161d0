using System.Data;
using System.Data.Common;
using System.Globalization;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Storage.Relational;

/// <summary>
/// Bulk replays by filter: recorded as a row, then worked through in pages by whichever process holds its lease. Each
/// page (its pairs, the new checkpoint and count) is one transaction, fenced on the lease, so a process that dies
/// mid-page leaves nothing half-done and a later one resumes after the last committed event: none is queued twice.
/// </summary>
public abstract partial class RelationalEventStore
{
    public const string ReplayRunning = "running";
    public const string ReplayDone = "done";
    public const string ReplayFailed = "failed";

    public Task<long> CountEventsAsync(EventFilter filter, CancellationToken cancellationToken) => ReadAsync(async (connection, ct) =>
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var command = Command(connection, null, "");
        command.CommandText = $"SELECT COUNT(*) FROM events WHERE 1 = 1{FilterSql(command, filter, null)}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }, cancellationToken);

    public Task<ReplayProgress> StartReplayAsync(ReplayRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = Guid.NewGuid().ToString("N");
        var now = Millis(Time.GetUtcNow());
        var requestedBy = StoredText.Representable(request.RequestedBy);
        return GuardedWriteAsync(async (connection, transaction) =>
        {
            // The replay covers the events stored when it starts: its count and its pages read the same rows.
            long through;
            await using (var newest = Command(connection, transaction, "SELECT COALESCE(MAX(id), 0) FROM events"))
                through = Convert.ToInt64(await newest.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            long matched;
            await using (var count = Command(connection, transaction, ""))
            {
                Parameter(count, "through", DbType.Int64, through);
                count.CommandText = $"SELECT COUNT(*) FROM events WHERE id <= @through{FilterSql(count, request.Filter, null)}";
                matched = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }
            await using var insert = Command(connection, transaction, """
                INSERT INTO replays (id, filter, handlers, requested_by, created_at, through_id, matched, enqueued, checkpoint,
                                     status, updated_at)
                VALUES (@id, @filter, @handlers, @by, @now, @through, @matched, 0, 0, @status, @now)
                """);
            Parameter(insert, "id", DbType.String, id);
            Parameter(insert, "filter", DbType.String, EventFilterJson.Write(request.Filter));
            Parameter(insert, "handlers", DbType.String, request.Handlers is null ? null : EventFilterJson.WriteNames(request.Handlers));
            Parameter(insert, "by", DbType.String, requestedBy);
            TimeParameter(insert, "now", now);
            Parameter(insert, "through", DbType.Int64, through);
            Parameter(insert, "matched", DbType.Int64, matched);
            Parameter(insert, "status", DbType.String, matched == 0 ? ReplayDone : ReplayRunning);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new ReplayProgress(id, matched, 0, matched == 0 ? ReplayDone : ReplayRunning, requestedBy, now);
        }, cancellationToken);
    }

    public Task<ReplayProgress?> GetReplayAsync(string id, CancellationToken cancellationToken) => ReadAsync(async (connection, ct) =>
    {
        ArgumentNullException.ThrowIfNull(id);
        await using var command = Command(connection, null, "SELECT id, matched, enqueued, status, requested_by, created_at FROM replays WHERE id = @id");
        Parameter(command, "id", DbType.String, StoredText.Representable(id));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false)
            ? new ReplayProgress(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
                ReadTime(reader, 5))
            : null;
    }, cancellationToken);

    /// <summary>
    /// Works one page of one running replay whose lease is free, expired or already <paramref name="owner"/>'s:
    /// <paramref name="handlersFor"/> names the handlers an event of a type goes to (given the replay's own list, or null
    /// for all). Returns the replay's progress after the page, or null when no replay had work.
    /// </summary>
    public async Task<ReplayProgress?> RunReplayPageAsync(string owner, TimeSpan lease, int pageSize,
        Func<string, IReadOnlyList<string>?, IReadOnlyList<string>> handlersFor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(handlersFor);
        var now = Time.GetUtcNow();
        var claimed = await GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var claim = Command(connection, transaction, """
                UPDATE replays SET lease_owner = @owner, lease_until = @until, updated_at = @now
                WHERE id = (SELECT id FROM replays WHERE status = 'running'
                            AND (lease_until IS NULL OR lease_until <= @now OR lease_owner = @owner)
                            ORDER BY created_at, id LIMIT 1)
                RETURNING id, filter, handlers, through_id, checkpoint, matched
                """);
            Parameter(claim, "owner", DbType.String, owner);
            TimeParameter(claim, "until", now + lease);
            TimeParameter(claim, "now", now);
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new ClaimedReplay(reader.GetString(0), EventFilterJson.Read(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : EventFilterJson.ReadNames(reader.GetString(2)),
                    reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5))
                : null;
        }, cancellationToken, singleStatement: true).ConfigureAwait(false);
        if (claimed is null)
            return null;
        try
        {
            var queued = await GuardedWriteAsync(async (connection, transaction) =>
                await ReplayPageAsync(connection, transaction, claimed, owner, pageSize, handlersFor, cancellationToken).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            if (queued)
                SignalWork();
        }
        catch (StoreRejectedException e)
        {
            // The database refuses this page's data: trying again cannot help, so the replay stops here, marked failed
            // with the reason; the pages before it stay queued.
            await GuardedWriteAsync(async (connection, transaction) =>
            {
                await using var fail = Command(connection, transaction, """
                    UPDATE replays SET status = @status, last_error = @error, updated_at = @now WHERE id = @id AND lease_owner = @owner
                    """);
                Parameter(fail, "status", DbType.String, ReplayFailed);
                Parameter(fail, "error", DbType.String, StoredText.Representable(e.Message));
                TimeParameter(fail, "now", Time.GetUtcNow());
                Parameter(fail, "id", DbType.String, claimed.Id);
                Parameter(fail, "owner", DbType.String, owner);
                return await fail.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }, cancellationToken, singleStatement: true).ConfigureAwait(false);
        }
        return await GetReplayAsync(claimed.Id, cancellationToken).ConfigureAwait(false);
    }

    async Task<bool> ReplayPageAsync(DbConnection connection, DbTransaction? transaction, ClaimedReplay replay, string owner, int pageSize,
        Func<string, IReadOnlyList<string>?, IReadOnlyList<string>> handlersFor, CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var page = new List<(long Id, string Type)>();
        // Few matches: their list is short, read whole on each page. Many: each page looks events up one by one from
        // its checkpoint and stops at its last match (reading the whole list per page made a replay quadratic).
        var shape = replay.Matched > PerRowReplayMatches ? SubqueryShape.PerRowInReplayWindow : SubqueryShape.ListInReplayWindow;
        // Events in id order, locked like every other writer of pairs (see LockRowsClause).
        await using (var find = Command(connection, transaction, ""))
        {
            Parameter(find, "after", DbType.Int64, replay.Checkpoint);
            Parameter(find, "through", DbType.Int64, replay.Through);
            Parameter(find, "page", DbType.Int32, pageSize);
            find.CommandText = $"""
                SELECT id, type FROM events WHERE id > @after AND id <= @through{FilterSql(find, replay.Filter, null, shape)}
                ORDER BY id LIMIT @page{LockRowsClause}
                """;
            await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                page.Add((reader.GetInt64(0), reader.GetString(1)));
        }
        // One statement per handler for the whole page, not one per pair: on PostgreSQL a round trip per pair was most of
        // a replay's time (100,000 events took half a minute).
        var queuedPairs = 0;
        var byHandler = page
            .SelectMany(e => handlersFor(e.Type, replay.Handlers).Distinct(StringComparer.Ordinal).Select(h => (Handler: h, e.Id)))
            .GroupBy(p => p.Handler, p => p.Id, StringComparer.Ordinal);
        foreach (var group in byHandler)
        {
            await using var upsert = Command(connection, transaction, $"""
                INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
                SELECT id, @handler, 'pending', 0, @now, @now FROM events WHERE id IN ({IdList(group)})
                ON CONFLICT (event_id, handler) DO UPDATE
                SET status = 'pending', attempts = 0, lease_owner = NULL, next_attempt_at = @now, updated_at = @now
                """);
            Parameter(upsert, "handler", DbType.String, group.Key);
            TimeParameter(upsert, "now", now);
            queuedPairs += await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (page.Count > 0)
        {
            await using var refresh = Command(connection, transaction, StoreSql.RefreshEventStatus($"id IN ({IdList(page.Select(p => p.Id))})"));
            await refresh.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // The checkpoint moves with the page's pairs, fenced on the lease and on the checkpoint this page started from: a
        // process that lost the lease, or raced another over the same page, commits nothing.
        await using (var progress = Command(connection, transaction, """
            UPDATE replays SET checkpoint = @checkpoint, enqueued = enqueued + @count, status = @status, updated_at = @now
            WHERE id = @id AND lease_owner = @owner AND checkpoint = @previous
            """))
        {
            Parameter(progress, "checkpoint", DbType.Int64, page.Count > 0 ? page[^1].Id : replay.Through);
            Parameter(progress, "count", DbType.Int64, page.Count);
            Parameter(progress, "status", DbType.String, page.Count < pageSize ? ReplayDone : ReplayRunning);
            TimeParameter(progress, "now", now);
            Parameter(progress, "id", DbType.String, replay.Id);
            Parameter(progress, "owner", DbType.String, owner);
            Parameter(progress, "previous", DbType.Int64, replay.Checkpoint);
            if (await progress.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                throw new StoreUnavailableException("The replay's lease was taken over by another process; this page is not written.");
        }
        if (queuedPairs > 0)
            await NotifyWorkAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        return queuedPairs > 0;
    }

    /// <summary>Above this many matches a replay page looks its key and handler conditions up per event.</summary>
    const long PerRowReplayMatches = 2000;

    sealed record ClaimedReplay(string Id, EventFilter Filter, IReadOnlyList<string>? Handlers, long Through, long Checkpoint, long Matched);
}
