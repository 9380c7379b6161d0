using System.Data.Common;
using System.Diagnostics;
using System.Text;
using GeminiHooks.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace GeminiHooks.Bench.Load;

/// <summary>
/// Fills a store for the search bench. Event number i (1-based) is webhook id <c>msg_bench_i</c>, type
/// <see cref="Types"/>[i % 7], job <c>batches/b{i}</c>, <c>user_metadata</c> <c>{"team": "team{i % 1000}", "shard":
/// "s{i % 10}"}</c>, received <see cref="Step"/> after event i - 1, one succeeded <c>log</c> run.
/// The first <see cref="ThroughApi"/> events go through the store's own accept (so their search keys are extracted as
/// a receiver extracts them); the rest are written by one INSERT … SELECT per table, generated in the database, which
/// writes the same rows (the same body bytes, event row, run and keys) a thousand times faster than a million accepts.
/// The bench's checks (a job search finds exactly one event, on either side of the split) prove the two agree.
/// </summary>
static class SearchFill
{
    public const int ThroughApi = 1000;
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    public static readonly string[] Types =
    [
        "batch.succeeded", "batch.failed", "batch.expired", "interaction.completed", "interaction.failed",
        "interaction.requires_action", "video.generated",
    ];

    public static string Body(long i) =>
        $$$"""{"type":"{{{Types[i % Types.Length]}}}","version":"v1","timestamp":"2026-11-23T10:00:00Z","data":{"id":"batches/b{{{i}}}","output_file_uri":"files/out-{{{i}}}"},"user_metadata":{"team":"team{{{i % 1000}}}","shard":"s{{{i % 10}}}"}}""";

    public static DateTimeOffset ReceivedAt(DateTimeOffset start, long i) => start + Step * i;

    /// <summary>Adds events up to <paramref name="total"/>; returns the seconds it took, or 0 when the store was full already.</summary>
    public static async Task<double> FillAsync(IEventStore store, bool postgres, string connectionString, long total, DateTimeOffset start)
    {
        var stored = await CountAsync(postgres, connectionString);
        if (stored >= total)
            return 0;
        if (stored != 0)
            throw new ArgumentException($"the store holds {stored} events, not 0 or {total}: use an empty store");
        var clock = Stopwatch.StartNew();
        var accepts = new List<Task>();
        for (long i = 1; i <= Math.Min(ThroughApi, total); i++)
        {
            var at = ReceivedAt(start, i);
            accepts.Add(store.AcceptAsync(new IncomingDelivery("static", $"msg_bench_{i}", at.ToUnixTimeSeconds(), at,
                Types[i % Types.Length], Encoding.UTF8.GetBytes(Body(i)), ["log"]), CancellationToken.None));
        }
        await Task.WhenAll(accepts);
        // The accepted ones ran (as a dispatcher would have): every event starts out done, with a succeeded run.
        await ExecuteAsync(postgres, connectionString, "UPDATE handler_runs SET status = 'succeeded', attempts = 1;\nUPDATE events SET status = 'done'");
        if (total > ThroughApi)
            await ExecuteAsync(postgres, connectionString, postgres ? PostgresFill(start, total) : SqliteFill(start, total));
        return clock.Elapsed.TotalSeconds;
    }

    static string TypeCase(string number)
    {
        var sql = new StringBuilder($"CASE {number} % {Types.Length}");
        for (var t = 0; t < Types.Length; t++)
            sql.Append($" WHEN {t} THEN '{Types[t]}'");
        return sql.Append(" END").ToString();
    }

    // The body text as Body(i) writes it, built in SQL (|| concatenation works in both databases).
    static string BodySql(string number, string type) =>
        $$$"""'{"type":"' || {{{type}}} || '","version":"v1","timestamp":"2026-11-23T10:00:00Z","data":{"id":"batches/b' || {{{number}}} || '","output_file_uri":"files/out-' || {{{number}}} || '"},"user_metadata":{"team":"team' || ({{{number}}} % 1000) || '","shard":"s' || ({{{number}}} % 10) || '"}}'""";

    static string SqliteFill(DateTimeOffset start, long total)
    {
        var startMs = start.ToUnixTimeMilliseconds();
        var stepMs = (long)Step.TotalMilliseconds;
        const string Number = "CAST(substr(webhook_id, 11) AS INTEGER)";
        return $"""
            BEGIN;
            INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status, job)
            WITH RECURSIVE n(i) AS (SELECT {ThroughApi + 1} UNION ALL SELECT i + 1 FROM n WHERE i < {total}),
                 t(i, type) AS (SELECT i, {TypeCase("i")} FROM n)
            SELECT 'static', 'msg_bench_' || i, ({startMs} + i * {stepMs}) / 1000, {startMs} + i * {stepMs}, type,
                   CAST({BodySql("i", "type")} AS BLOB), 'done', 'b' || i
            FROM t;
            INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
            SELECT id, 'log', 'succeeded', 1, received_at, received_at FROM events WHERE {Number} > {ThroughApi};
            INSERT INTO event_keys (event_id, name, value)
            SELECT id, 'meta.team', 'team' || ({Number} % 1000) FROM events WHERE {Number} > {ThroughApi}
            UNION ALL SELECT id, 'meta.shard', 's' || ({Number} % 10) FROM events WHERE {Number} > {ThroughApi};
            COMMIT;
            ANALYZE;
            """;
    }

    static string PostgresFill(DateTimeOffset start, long total)
    {
        var startMs = start.ToUnixTimeMilliseconds();
        var stepMs = (long)Step.TotalMilliseconds;
        const string Number = "CAST(substr(webhook_id, 11) AS bigint)";
        return $"""
            INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status, job)
            SELECT 'static', 'msg_bench_' || i, ({startMs} + i * {stepMs}) / 1000, to_timestamp(({startMs} + i * {stepMs}) / 1000.0), type,
                   convert_to({BodySql("i", "type")}, 'UTF8'), 'done', 'b' || i
            FROM (SELECT i, {TypeCase("i")} AS type FROM generate_series({ThroughApi + 1}::bigint, {total}::bigint) AS i) t
            ORDER BY i;
            INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
            SELECT id, 'log', 'succeeded', 1, received_at, received_at FROM events WHERE {Number} > {ThroughApi};
            INSERT INTO event_keys (event_id, name, value)
            SELECT id, 'meta.team', 'team' || ({Number} % 1000) FROM events WHERE {Number} > {ThroughApi}
            UNION ALL SELECT id, 'meta.shard', 's' || ({Number} % 10) FROM events WHERE {Number} > {ThroughApi};
            VACUUM ANALYZE;
            """;
    }

    public static async Task<long> CountAsync(bool postgres, string connectionString)
    {
        await using var connection = Open(postgres, connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM events";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    static async Task ExecuteAsync(bool postgres, string connectionString, string sql)
    {
        await using var connection = Open(postgres, connectionString);
        await connection.OpenAsync();
        // VACUUM cannot run inside a transaction block, and Npgsql sends a multi-statement text as one: split it.
        foreach (var statement in postgres ? sql.Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [sql])
        {
            if (statement.Length == 0)
                continue;
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            command.CommandTimeout = 0;
            await command.ExecuteNonQueryAsync();
        }
    }

    static DbConnection Open(bool postgres, string connectionString) =>
        postgres ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
}
