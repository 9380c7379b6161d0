using System.Data;
using System.Data.Common;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Storage.Relational;

/// <summary>Dispatch: claims, run outcomes, replays and when the next pair falls due.</summary>
public abstract partial class RelationalEventStore
{
    /// <summary>
    /// Claims up to <c>@max</c> due pairs under the lease <c>@owner</c> until <c>@until</c> (now is <c>@now</c>): pending
    /// pairs whose next attempt is due and running pairs whose lease expired, earliest first, each set running with its
    /// attempt count incremented. Returns event_id, handler, attempts, endpoint, webhook_id, webhook_timestamp,
    /// received_at, type, body, in that order. Only pairs that also meet <paramref name="handlerFilter"/> (a condition on
    /// the <c>handler</c> column of <c>handler_runs</c>, written by this class) are claimed.
    /// </summary>
    protected abstract string ClaimSql(string handlerFilter);

    /// <summary>
    /// The earliest next_attempt_at of the pending and running pairs that meet <paramref name="handlerFilter"/> (as in
    /// <see cref="ClaimSql"/>); no row, or null, when there are none.
    /// </summary>
    protected abstract string NextDueSql(string handlerFilter);

    public Task<IReadOnlyList<DispatchItem>> ClaimAsync(string owner, int max, TimeSpan lease, CancellationToken cancellationToken) =>
        ClaimAsync(owner, max, lease, [], cancellationToken);

    public async Task<IReadOnlyList<DispatchItem>> ClaimAsync(string owner, int max, TimeSpan lease, IReadOnlyCollection<string> skipHandlers,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(skipHandlers);
        if (max <= 0)
            return [];
        var now = Time.GetUtcNow();
        var leaseToken = LeaseToken.New(owner);
        var skip = skipHandlers.Distinct(StringComparer.Ordinal).ToArray();
        // Open circuits whose break is over get one probe each first; without any (the usual case) a claim stays the
        // single statement it always was.
        var probes = (await ProbeCandidatesAsync(now, cancellationToken).ConfigureAwait(false))
            .Except(skip, StringComparer.Ordinal).ToArray();
        if (probes.Length > 0)
            return await GuardedWriteAsync(async (connection, transaction) =>
            {
                var items = await ClaimProbesAsync(connection, transaction, probes, leaseToken, now, lease, cancellationToken)
                    .ConfigureAwait(false);
                items.AddRange(await ClaimRowsAsync(connection, transaction, skip, leaseToken, now, lease, max - items.Count,
                    cancellationToken).ConfigureAwait(false));
                return items;
            }, cancellationToken).ConfigureAwait(false);
        return await GuardedWriteAsync<IReadOnlyList<DispatchItem>>(async (connection, transaction) =>
            await ClaimRowsAsync(connection, transaction, skip, leaseToken, now, lease, max, cancellationToken).ConfigureAwait(false),
            cancellationToken, singleStatement: true).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <see cref="ClaimSql"/> for up to <paramref name="max"/> pairs of claimable handlers (or, with
    /// <paramref name="probe"/>, of that handler alone, whatever its circuit).
    /// </summary>
    async Task<List<DispatchItem>> ClaimRowsAsync(DbConnection connection, DbTransaction? transaction, string[] skip, string leaseToken,
        DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken, string? probe = null)
    {
        var items = new List<DispatchItem>();
        if (max <= 0)
            return items;
        var filter = probe is null ? ClaimableHandlers(skip.Length) : $"{NotPausedFilter} AND handler = @probe";
        await using var command = Command(connection, transaction, ClaimSql(filter));
        if (probe is null)
        {
            for (var i = 0; i < skip.Length; i++)
                Parameter(command, $"skip{i}", DbType.String, skip[i]);
        }
        else
            Parameter(command, "probe", DbType.String, probe);
        Parameter(command, "owner", DbType.String, leaseToken);
        TimeParameter(command, "until", now + lease);
        TimeParameter(command, "now", now);
        Parameter(command, "max", DbType.Int32, max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(new DispatchItem(reader.GetInt64(0), reader.GetString(3), reader.GetString(4), reader.GetInt64(5),
                ReadTime(reader, 6), reader.GetString(7), reader.GetFieldValue<byte[]>(8), reader.GetString(1),
                reader.GetInt32(2), leaseToken));
        }
        return items;
    }

    /// <summary>
    /// Which handlers' pairs a claim may take: not paused ones, not those whose circuit is open (or probing), nor those of
    /// the <paramref name="skipped"/> parameters <c>@skip0</c>... (the caller's saturated handlers).
    /// </summary>
    static string ClaimableHandlers(int skipped) => skipped == 0 ? ClosedFilter
        : $"{ClosedFilter} AND handler NOT IN ({string.Join(", ", Enumerable.Range(0, skipped).Select(i => $"@skip{i}"))})";

    // A run's outcome goes through a writer queue like an accept, so at a high dispatch rate outcomes share commits
    // (and syncs, and round trips) instead of costing one each.
    public Task<bool> CompleteAsync(DispatchItem item, CancellationToken cancellationToken) =>
        PendingFinish.SubmitAsync(item, succeeded: true, error: null, retryAt: null, OutcomeQueue.EnqueueAsync, cancellationToken);

    public Task<bool> FailAsync(DispatchItem item, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken) =>
        PendingFinish.SubmitAsync(item, succeeded: false, error, retryAt, OutcomeQueue.EnqueueAsync, cancellationToken);

    GroupCommitQueue<PendingWrite> OutcomeQueue => _outcomes ?? throw new InvalidOperationException("InitializeAsync has not run.");

    /// <summary>
    /// Records each outcome, fenced by its lease and attempt (a dispatcher whose lease expired and was re-claimed changes
    /// nothing), and derives the event's status from its pairs as they now are.
    /// </summary>
    protected async Task WriteOutcomeRowsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<PendingFinish> outcomes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
            return;
        await using var update = Command(connection, transaction, """
            UPDATE handler_runs
            SET status = @status, lease_owner = NULL, next_attempt_at = @next, updated_at = @now,
                last_error = CASE WHEN @status = 'succeeded' THEN NULL ELSE COALESCE(@error, last_error) END
            WHERE event_id = @event AND handler = @handler AND status = 'running' AND lease_owner = @owner AND attempts = @attempt
            """);
        var at = Time.GetUtcNow();
        var status = Parameter(update, "status", DbType.String);
        var next = TimeParameter(update, "next");
        TimeParameter(update, "now", at);
        var error = Parameter(update, "error", DbType.String);
        var eventId = Parameter(update, "event", DbType.Int64);
        var handler = Parameter(update, "handler", DbType.String);
        var owner = Parameter(update, "owner", DbType.String);
        var attempt = Parameter(update, "attempt", DbType.Int32);
        await using var refresh = Command(connection, transaction, StoreSql.RefreshEventStatus("id = @event"));
        var refreshEvent = Parameter(refresh, "event", DbType.Int64);
        foreach (var finish in outcomes)
        {
            status.Value = finish.Status;
            SetTime(next, finish.RetryAt ?? at);
            error.Value = (object?)finish.Error ?? DBNull.Value;
            eventId.Value = finish.Item.EventId;
            handler.Value = finish.Item.Handler;
            owner.Value = finish.Item.LeaseToken;
            attempt.Value = finish.Item.Attempt;
            finish.Changed = await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
            if (!finish.Changed)
                continue;
            refreshEvent.Value = finish.Item.EventId;
            await refresh.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<int?> ReplayAsync(string endpoint, string webhookId, IReadOnlyList<string> handlers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        if (!AcceptRules.IsStorableKey(endpoint, webhookId))
            return null;
        // One pair per name: a name given twice is queued (and counted) once.
        var distinct = handlers.Distinct(StringComparer.Ordinal).ToArray();
        var now = Time.GetUtcNow();
        var queued = await GuardedWriteAsync<int?>(async (connection, transaction) =>
        {
            long eventId;
            await using (var find = Command(connection, transaction,
                "SELECT id FROM events WHERE endpoint = @endpoint AND webhook_id = @id" + LockRowsClause))
            {
                Parameter(find, "endpoint", DbType.String, endpoint);
                Parameter(find, "id", DbType.String, webhookId);
                if (await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not { } found)
                    return null;
                eventId = Convert.ToInt64(found, System.Globalization.CultureInfo.InvariantCulture);
            }
            await using (var upsert = Command(connection, transaction, StoreSql.ReplayPair))
            {
                Parameter(upsert, "event", DbType.Int64, eventId);
                var handler = Parameter(upsert, "handler", DbType.String);
                TimeParameter(upsert, "now", now);
                foreach (var name in distinct)
                {
                    handler.Value = name;
                    await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            await using (var refresh = Command(connection, transaction, StoreSql.RefreshEventStatus("id = @event")))
            {
                Parameter(refresh, "event", DbType.Int64, eventId);
                await refresh.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            if (distinct.Length > 0)
                await NotifyWorkAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            return distinct.Length;
        }, cancellationToken).ConfigureAwait(false);
        if (queued > 0)
            SignalWork();
        return queued;
    }

    public async Task<int> ReplayDeadLettersAsync(string? eventType, CancellationToken cancellationToken)
    {
        var type = eventType is null ? null : StoredText.Representable(eventType);
        var now = Time.GetUtcNow();
        // A dead pair always has a dead event, since the event's status is derived on every change.
        const string DeadEvents = "status = 'dead' AND (@type IS NULL OR type = @type)";
        var queued = await GuardedWriteAsync(async (connection, transaction) =>
        {
            // Events first, in id order, like every other writer of pairs (see LockRowsClause).
            await using (var find = Command(connection, transaction, $"SELECT id FROM events WHERE {DeadEvents} ORDER BY id{LockRowsClause}"))
            {
                Parameter(find, "type", DbType.String, type);
                await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    return 0;
            }
            int count;
            await using (var update = Command(connection, transaction, $"""
                UPDATE handler_runs
                SET status = 'pending', attempts = 0, lease_owner = NULL, next_attempt_at = @now, updated_at = @now
                WHERE status = 'dead' AND event_id IN (SELECT id FROM events WHERE {DeadEvents})
                """))
            {
                TimeParameter(update, "now", now);
                Parameter(update, "type", DbType.String, type);
                count = await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using (var refresh = Command(connection, transaction, StoreSql.RefreshEventStatus(DeadEvents)))
            {
                Parameter(refresh, "type", DbType.String, type);
                await refresh.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            if (count > 0)
                await NotifyWorkAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            return count;
        }, cancellationToken).ConfigureAwait(false);
        if (queued > 0)
            SignalWork();
        return queued;
    }

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken) => ReadAsync<DateTimeOffset?>(async (connection, ct) =>
    {
        DateTimeOffset? due = null;
        await using (var command = Command(connection, null, NextDueSql(ClosedFilter)))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(ct).ConfigureAwait(false) && !reader.IsDBNull(0))
                due = ReadTime(reader, 0);
        }
        // A handler whose circuit is open is due when its break ends, if it has a pair due by then.
        if (await NextProbeAsync(connection, ct).ConfigureAwait(false) is { } probe && (due is null || probe < due))
            due = probe;
        return due;
    }, cancellationToken);
}
