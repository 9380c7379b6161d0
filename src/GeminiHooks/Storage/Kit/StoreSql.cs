namespace GeminiHooks.Storage.Kit;

/// <summary>SQL that reads the same in SQLite and PostgreSQL; each store keeps its dialect's SQL itself.</summary>
public static class StoreSql
{
    /// <summary>Pairs by status; read with <see cref="BacklogCountsReader"/>.</summary>
    public const string CountByStatus = "SELECT status, COUNT(*) FROM handler_runs GROUP BY status";

    /// <summary>Queues one (event, handler) pair again: pending, due now, with a fresh attempt count; added if missing.</summary>
    public static string ReplayPair => """
        INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
        VALUES (@event, @handler, 'pending', 0, @now, @now)
        ON CONFLICT (event_id, handler) DO UPDATE
        SET status = 'pending', attempts = 0, lease_owner = NULL, next_attempt_at = @now, updated_at = @now
        """;

    /// <summary>
    /// Derives the status of the events matched by <paramref name="where"/> (a condition on <c>events</c>) from their
    /// pairs: dead when any pair is dead, pending while any is pending or running, otherwise done (also with no pairs).
    /// </summary>
    public static string RefreshEventStatus(string where) => $"""
        UPDATE events SET status = CASE
            WHEN EXISTS (SELECT 1 FROM handler_runs r WHERE r.event_id = events.id AND r.status = 'dead') THEN 'dead'
            WHEN EXISTS (SELECT 1 FROM handler_runs r WHERE r.event_id = events.id AND r.status IN ('pending', 'running')) THEN 'pending'
            ELSE 'done' END
        WHERE {where}
        """;
}
