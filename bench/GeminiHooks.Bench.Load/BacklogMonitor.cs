using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GeminiHooks.Bench.Load;

/// <summary>
/// Watches dispatch from outside the service: the backlog (pairs pending or running) read from the SQLite file on a
/// read-only connection, and the lines the jsonl handler has written. Started with the load; run.sh creates the
/// <c>--done</c> marker when wrk ends, and the monitor then times how long the backlog takes to drain.
/// </summary>
static class BacklogMonitor
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var db = args.Required("db");
        var jsonl = args.Required("jsonl");
        var marker = args.Required("done");
        var interval = TimeSpan.FromMilliseconds(args.Int("interval-ms", 250));
        var drainTimeout = TimeSpan.FromSeconds(args.Int("drain-timeout-s", 120));
        var quiet = args.Optional("quiet", "false") == "true";

        await using var connection = Open(db);
        var lines = new LineCounter(jsonl);
        var clock = Stopwatch.StartNew();
        var linesAtStart = lines.Count();
        long maxBacklog = 0, backlogAtEnd = 0, linesAtEnd = 0;
        TimeSpan? loadEnded = null;
        TimeSpan? drained = null;
        var lastPrint = TimeSpan.Zero;
        while (true)
        {
            var backlog = Backlog(connection);
            var written = lines.Count();
            var now = clock.Elapsed;
            if (loadEnded is null && File.Exists(marker))
            {
                loadEnded = now;
                backlogAtEnd = backlog;
                linesAtEnd = written;
            }
            if (loadEnded is null)
                maxBacklog = Math.Max(maxBacklog, backlog);
            if (!quiet && now - lastPrint >= TimeSpan.FromSeconds(1))
            {
                lastPrint = now;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  t={now.TotalSeconds,5:0.0}s backlog={backlog,7} jsonl_lines={written - linesAtStart,7}{(loadEnded is null ? "" : " (load ended)")}"));
            }
            if (loadEnded is not null && backlog == 0)
            {
                drained = now;
                break;
            }
            if (loadEnded is not null && now - loadEnded > drainTimeout)
                break;
            await Task.Delay(interval);
        }
        var final = lines.Count();
        var loadSeconds = loadEnded!.Value.TotalSeconds;
        var totalSeconds = (drained ?? clock.Elapsed).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"MONITOR max_backlog={maxBacklog} backlog_at_end={backlogAtEnd} " +
            $"drain_s={(drained is { } d ? (d - loadEnded.Value).TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) : "timeout")} " +
            $"lines_during_load={linesAtEnd - linesAtStart} lines_total={final - linesAtStart} " +
            $"dispatch_rate_load={(linesAtEnd - linesAtStart) / Math.Max(loadSeconds, 0.001):0} " +
            $"dispatch_rate_overall={(final - linesAtStart) / Math.Max(totalSeconds, 0.001):0}"));
        return 0;
    }

    public static int Count(string db)
    {
        using var connection = Open(db);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM events";
        var events = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"events={events} backlog={Backlog(connection)}"));
        return 0;
    }

    static SqliteConnection Open(string db)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = db,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        return connection;
    }

    static long Backlog(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM handler_runs WHERE status IN ('pending', 'running')";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Counts newlines appended since the last call, reading only the new bytes.</summary>
    sealed class LineCounter(string path)
    {
        long _offset;
        long _lines;
        readonly byte[] _buffer = new byte[1 << 16];

        public long Count()
        {
            if (!File.Exists(path))
                return _lines;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(_offset, SeekOrigin.Begin);
            int read;
            while ((read = stream.Read(_buffer)) > 0)
            {
                _lines += _buffer.AsSpan(0, read).Count((byte)'\n');
                _offset += read;
            }
            return _lines;
        }
    }
}
