using System.Data;
using System.Data.Common;

namespace GeminiHooks.Storage.Relational;

/// <summary>
/// Circuit breakers, kept in <c>handler_state</c> so every replica sees one circuit per handler. A handler whose runs
/// failed <c>FailureThreshold</c> times in a row is <c>open</c> until its break ends: its pairs are not claimed (they
/// spend no attempts). Then one claim takes a single pair of it as a probe and marks the circuit <c>half_open</c> until
/// the probe's lease ends; the probe's outcome closes the circuit or opens it again. The dispatcher reports outcomes
/// (<see cref="RecordHandlerRunAsync"/>) only for handlers with a breaker, so others cost nothing.
/// </summary>
public abstract partial class RelationalEventStore
{
    /// <summary>Not paused, and the circuit closed (no row means both).</summary>
    const string ClosedFilter =
        "handler NOT IN (SELECT handler FROM handler_state WHERE paused_at IS NOT NULL OR circuit <> 'closed')";

    public Task RecordHandlerRunAsync(string handler, bool succeeded, int failureThreshold, TimeSpan breakDuration,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(failureThreshold, 1);
        var now = Time.GetUtcNow();
        return GuardedWriteAsync(async (connection, transaction) =>
        {
            // A success touches only a row that has something to forget; a failure counts, and opens the circuit at the
            // threshold or when it was the probe (half_open).
            await using var command = Command(connection, transaction, succeeded ? """
                UPDATE handler_state SET failures = 0, circuit = 'closed', circuit_until = NULL, updated_at = @now
                WHERE handler = @handler AND (failures > 0 OR circuit <> 'closed')
                """ : """
                INSERT INTO handler_state (handler, paused_at, updated_at, circuit, failures, circuit_until)
                VALUES (@handler, NULL, @now, CASE WHEN @threshold <= 1 THEN 'open' ELSE 'closed' END, 1,
                        CASE WHEN @threshold <= 1 THEN @reopen ELSE NULL END)
                ON CONFLICT (handler) DO UPDATE
                SET failures = handler_state.failures + 1,
                    circuit = CASE WHEN handler_state.circuit = 'half_open' OR handler_state.failures + 1 >= @threshold
                                   THEN 'open' ELSE handler_state.circuit END,
                    circuit_until = CASE WHEN handler_state.circuit = 'half_open' OR handler_state.failures + 1 >= @threshold
                                         THEN @reopen ELSE handler_state.circuit_until END,
                    updated_at = excluded.updated_at
                """);
            Parameter(command, "handler", DbType.String, handler);
            TimeParameter(command, "now", now);
            if (!succeeded)
            {
                Parameter(command, "threshold", DbType.Int32, failureThreshold);
                TimeParameter(command, "reopen", now + breakDuration);
            }
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken, singleStatement: true);
    }

    /// <summary>Handlers whose break is over (or whose probe's lease ran out): each may have one probe claimed.</summary>
    Task<List<string>> ProbeCandidatesAsync(DateTimeOffset now, CancellationToken cancellationToken) => ReadAsync(async (connection, ct) =>
    {
        await using var command = Command(connection, null,
            "SELECT handler FROM handler_state WHERE circuit <> 'closed' AND paused_at IS NULL AND circuit_until <= @now");
        TimeParameter(command, "now", now);
        var handlers = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            handlers.Add(reader.GetString(0));
        return handlers;
    }, cancellationToken);

    /// <summary>
    /// Takes the probe turn of each handler (the conditional update is what keeps two replicas from probing at once: the
    /// second finds the circuit half open until the first probe's lease ends), then one due pair of it. With nothing due
    /// the circuit goes back to open, ready to probe as soon as a pair is.
    /// </summary>
    async Task<List<DispatchItem>> ClaimProbesAsync(DbConnection connection, DbTransaction? transaction, string[] handlers,
        string leaseToken, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken)
    {
        var items = new List<DispatchItem>();
        await using var take = Command(connection, transaction, """
            UPDATE handler_state SET circuit = 'half_open', circuit_until = @until, updated_at = @now
            WHERE handler = @handler AND circuit <> 'closed' AND paused_at IS NULL AND circuit_until <= @now
            """);
        var takeHandler = Parameter(take, "handler", DbType.String);
        TimeParameter(take, "until", now + lease);
        TimeParameter(take, "now", now);
        await using var giveBack = Command(connection, transaction,
            "UPDATE handler_state SET circuit = 'open', circuit_until = @now, updated_at = @now WHERE handler = @handler");
        var giveBackHandler = Parameter(giveBack, "handler", DbType.String);
        TimeParameter(giveBack, "now", now);
        foreach (var handler in handlers)
        {
            takeHandler.Value = handler;
            if (await take.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                continue;
            var probe = await ClaimRowsAsync(connection, transaction, [], leaseToken, now, lease, 1, cancellationToken, probe: handler)
                .ConfigureAwait(false);
            if (probe.Count == 0)
            {
                giveBackHandler.Value = handler;
                await giveBack.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            items.AddRange(probe);
        }
        return items;
    }

    /// <summary>
    /// When the earliest open circuit may probe: its break's end, or its earliest pair's due time if that is later
    /// (an open handler with nothing due must not keep a dispatcher awake).
    /// </summary>
    async Task<DateTimeOffset?> NextProbeAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, """
            SELECT s.circuit_until, d.due FROM handler_state s
            JOIN (SELECT handler, MIN(next_attempt_at) AS due FROM handler_runs
                  WHERE status IN ('pending', 'running')
                    AND handler IN (SELECT handler FROM handler_state WHERE circuit <> 'closed')
                  GROUP BY handler) d ON d.handler = s.handler
            WHERE s.circuit <> 'closed' AND s.paused_at IS NULL
            """);
        DateTimeOffset? earliest = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var until = ReadTime(reader, 0);
            var due = ReadTime(reader, 1);
            var at = until > due ? until : due;
            if (earliest is null || at < earliest)
                earliest = at;
        }
        return earliest;
    }
}
