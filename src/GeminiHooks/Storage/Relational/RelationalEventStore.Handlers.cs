using System.Data;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Storage.Relational;

/// <summary>
/// Handler state shared by every process on the store: pause and resume (<c>handler_state</c>), and what the operator
/// API shows per handler. A pause lives in the database, not in a dispatcher, so it holds across restarts and on every
/// replica: claims and the next-due time leave paused handlers out in SQL.
/// </summary>
public abstract partial class RelationalEventStore
{
    /// <summary>The condition on <c>handler_runs.handler</c> that keeps paused handlers' pairs out of claims and waits.</summary>
    const string NotPausedFilter = "handler NOT IN (SELECT handler FROM handler_state WHERE paused_at IS NOT NULL)";

    public async Task SetHandlerPausedAsync(string handler, bool paused, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(handler);
        if (!StoredText.IsRepresentable(handler))
            throw new ArgumentException("A handler name must not hold NUL or unpaired surrogate characters.", nameof(handler));
        var now = Time.GetUtcNow();
        await GuardedWriteAsync(async (connection, transaction) =>
        {
            // A second pause keeps the first one's time, so "paused since" stays true.
            await using (var upsert = Command(connection, transaction, """
                INSERT INTO handler_state (handler, paused_at, updated_at) VALUES (@handler, @paused, @now)
                ON CONFLICT (handler) DO UPDATE
                SET paused_at = CASE WHEN excluded.paused_at IS NULL THEN NULL
                                     ELSE COALESCE(handler_state.paused_at, excluded.paused_at) END,
                    updated_at = excluded.updated_at
                """))
            {
                Parameter(upsert, "handler", DbType.String, handler);
                TimeParameter(upsert, "paused", paused ? now : null);
                TimeParameter(upsert, "now", now);
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            // Its pairs may have been due all along: dispatchers here and on other replicas look again.
            if (!paused)
                await NotifyWorkAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        if (!paused)
            SignalWork();
    }

    public async Task<IReadOnlyList<HandlerState>> GetHandlerStatesAsync(IReadOnlyList<string> handlers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        if (handlers.Count == 0)
            return [];
        return await ReadAsync<IReadOnlyList<HandlerState>>(async (connection, ct) =>
        {
            var rows = new Dictionary<string, HandlerState>(StringComparer.Ordinal);
            await using (var read = Command(connection, null, "SELECT handler, paused_at, circuit, failures, circuit_until FROM handler_state"))
            await using (var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    rows[reader.GetString(0)] = new HandlerState(reader.GetString(0), reader.IsDBNull(1) ? null : ReadTime(reader, 1), 0, 0, 0, null)
                    {
                        Circuit = reader.GetString(2),
                        Failures = reader.GetInt32(3),
                        CircuitUntil = reader.IsDBNull(4) ? null : ReadTime(reader, 4),
                    };
                }
            }
            // Only the unfinished statuses: both stores index them, while succeeded pairs pile up unindexed.
            var counts = new Dictionary<(string, string), long>();
            await using (var read = Command(connection, null, """
                SELECT handler, status, COUNT(*) FROM handler_runs
                WHERE status IN ('pending', 'running', 'dead') GROUP BY handler, status
                """))
            await using (var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    counts[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
            }
            var states = new List<HandlerState>(handlers.Count);
            await using var lastError = Command(connection, null, """
                SELECT last_error FROM handler_runs
                WHERE handler = @handler AND status IN ('pending', 'dead') AND last_error IS NOT NULL
                ORDER BY updated_at DESC LIMIT 1
                """);
            var name = Parameter(lastError, "handler", DbType.String);
            foreach (var handler in handlers)
            {
                name.Value = handler;
                var error = await lastError.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
                var row = rows.GetValueOrDefault(handler) ?? new HandlerState(handler, null, 0, 0, 0, null);
                states.Add(row with
                {
                    Pending = counts.GetValueOrDefault((handler, RunStatus.Pending)),
                    Running = counts.GetValueOrDefault((handler, RunStatus.Running)),
                    Dead = counts.GetValueOrDefault((handler, RunStatus.Dead)),
                    LastError = error,
                });
            }
            return states;
        }, cancellationToken).ConfigureAwait(false);
    }
}
