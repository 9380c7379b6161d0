using System.Data;
using System.Data.Common;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Storage.Relational;

/// <summary>Reading events back (lists, one event, counts) and deleting the expired ones.</summary>
public abstract partial class RelationalEventStore
{
    const string EventColumns = "id, endpoint, webhook_id, webhook_timestamp, received_at, type, status";

    public Task<StoredEvent?> GetEventAsync(string endpoint, string webhookId, CancellationToken cancellationToken) =>
        !AcceptRules.IsStorableKey(endpoint, webhookId) ? Task.FromResult<StoredEvent?>(null) : ReadAsync(async (connection, ct) =>
    {
        StoredEvent stored;
        await using (var command = Command(connection, null,
            $"SELECT {EventColumns}, body FROM events WHERE endpoint = @endpoint AND webhook_id = @id"))
        {
            Parameter(command, "endpoint", DbType.String, endpoint);
            Parameter(command, "id", DbType.String, webhookId);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                return null;
            stored = ReadEvent(reader, withBody: true);
        }
        return (StoredEvent?)(await LoadRunsAsync(connection, [stored.Id], ct).ConfigureAwait(false)).Attach(stored);
    }, cancellationToken);

    public Task<int> DeleteExpiredAsync(string status, DateTimeOffset receivedBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (status == EventStatus.Pending)
            throw new ArgumentException("Pending events are never deleted.", nameof(status));
        // In chunks, so no transaction holds locks long enough to delay accepts; their pairs go with them (ON DELETE
        // CASCADE). Where the dialect skips locked rows, an event a replay holds right now is passed over, and a replayed
        // event is re-checked after its lock and is no longer of this status, so it is never deleted.
        return Cleanup.InChunksAsync(ct => GuardedWriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, $"""
                DELETE FROM events WHERE id IN (
                    SELECT id FROM events WHERE status = @status AND received_at < @cutoff
                    ORDER BY id LIMIT @chunk{SkipLockedClause})
                """);
            Parameter(command, "status", DbType.String, status);
            TimeParameter(command, "cutoff", receivedBefore);
            Parameter(command, "chunk", DbType.Int32, Cleanup.ChunkSize);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct, singleStatement: true), cancellationToken);
    }

    public Task<BacklogCounts> CountAsync(CancellationToken cancellationToken) => ReadAsync(async (connection, ct) =>
    {
        await using var command = Command(connection, null, StoreSql.CountByStatus);
        var counts = new BacklogCountsReader();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            counts.Add(reader.GetString(0), reader.GetInt64(1));
        return counts.ToCounts();
    }, cancellationToken);

    public Task<EventCounts> CountHeldEventsAsync(CancellationToken cancellationToken) => ReadAsync(async (connection, ct) =>
    {
        await using var command = Command(connection, null,
            "SELECT status, COUNT(*) FROM events WHERE status IN ('quarantined', 'dead') GROUP BY status");
        long quarantined = 0, dead = 0;
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (reader.GetString(0) == EventStatus.Quarantined)
                quarantined = reader.GetInt64(1);
            else
                dead = reader.GetInt64(1);
        }
        return new EventCounts(quarantined, dead);
    }, cancellationToken);

    async Task<HandlerRunsByEvent> LoadRunsAsync(DbConnection connection, List<long> ids, CancellationToken cancellationToken)
    {
        var result = new HandlerRunsByEvent();
        if (ids.Count == 0)
            return result;
        await using var command = Command(connection, null, $"""
            SELECT event_id, handler, status, attempts, next_attempt_at, last_error, updated_at FROM handler_runs
            WHERE event_id IN ({IdList(ids)}) ORDER BY event_id, {HandlerNameOrder}
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(reader.GetInt64(0), new HandlerRun(reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                ReadTime(reader, 4), reader.IsDBNull(5) ? null : reader.GetString(5), ReadTime(reader, 6)));
        }
        return result;
    }

    StoredEvent ReadEvent(DbDataReader reader, bool withBody) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), ReadTime(reader, 4),
        reader.GetString(5), reader.GetString(6), [], withBody ? reader.GetFieldValue<byte[]>(7) : (ReadOnlyMemory<byte>?)null);
}
