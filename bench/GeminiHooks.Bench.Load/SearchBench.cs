using System.Diagnostics;
using System.Globalization;
using GeminiHooks.Configuration;
using GeminiHooks.Postgres;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeminiHooks.Bench.Load;

/// <summary>
/// <c>search</c>: fills a store with a million events (<see cref="SearchFill"/>), then times, through the store's own
/// search API in this process (the query the operator API runs, without HTTP), one-page searches by job, by
/// <c>meta.team</c>, by type and a one-hour time range, by text (<c>q</c>), and a bulk replay of 100,000 matched events
/// worked page by page as the receiver's replay worker does. Each result is checked (a job finds exactly its event, a
/// page is full, the replay queues what it matched), so a fast wrong answer cannot pass. Prints one <c>SEARCH</c> line
/// per measure with its target.
/// </summary>
static class SearchBench
{
    /// <summary>The receiver's replay worker page (Admin/Replays/ReplayWorker.PageSize); --replay-page overrides it.</summary>
    const int WorkerPage = 200;

    public static async Task<int> RunAsync(Arguments arguments)
    {
        var provider = arguments.Required("provider");
        var postgres = provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase);
        if (!postgres && !provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("--provider is Sqlite or Postgres");
        var connectionString = arguments.Required("connection");
        var total = arguments.Int("events", 1_000_000);
        var samples = arguments.Int("samples", 200);
        var replayPage = arguments.Int("replay-page", WorkerPage);
        if (total < 100_000)
            throw new ArgumentException("--events must be at least 100000 (the checks expect full pages of one hour)");
        var options = new StoreOptions { Provider = postgres ? "Postgres" : "Sqlite", ConnectionString = connectionString };
        // Fixed, so a second run on the same store finds its events where the first put them.
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var name = postgres ? "postgres" : "sqlite";
        await using IEventStore store = postgres
            ? new PostgresEventStore(options, TimeProvider.System, NullLogger<PostgresEventStore>.Instance)
            : new SqliteEventStore(options, TimeProvider.System, NullLogger<SqliteEventStore>.Instance);
        await store.InitializeAsync(CancellationToken.None);

        var filled = await SearchFill.FillAsync(store, postgres, connectionString, total, start);
        Console.WriteLine(filled > 0
            ? $"SEARCH store={name} fill events={total} seconds={filled:0.0} (first {SearchFill.ThroughApi} through the store's accept, the rest by INSERT … SELECT)"
            : $"SEARCH store={name} fill events={total} (already filled)");

        var random = new Random(20261204);
        await MeasureAsync(name, "job", samples, 20, async n =>
        {
            // A tenth of the draws land in the events accepted through the store API; half use the short form of the id.
            var i = n % 10 == 0 ? random.NextInt64(1, SearchFill.ThroughApi + 1) : random.NextInt64(1, total + 1);
            var page = await ListAsync(store, new EventFilter { Job = n % 2 == 0 ? $"batches/b{i}" : $"b{i}" });
            Check(page.Events.Count == 1 && page.Events[0].WebhookId == $"msg_bench_{i}", $"job b{i} finds exactly its event");
        });
        await MeasureAsync(name, "meta.team", samples, 20, async _ =>
        {
            var team = random.Next(1000);
            var page = await ListAsync(store, new EventFilter { Metadata = new Dictionary<string, string> { ["team"] = $"team{team}" } });
            Check(page.Events.Count == Math.Min(50, total / 1000) && page.Events.All(e => Number(e) % 1000 == team),
                $"meta.team=team{team} finds a page of its events");
        });
        await MeasureAsync(name, "type+1h", samples, 50, async _ =>
        {
            var type = SearchFill.Types[random.Next(SearchFill.Types.Length)];
            var hours = (int)(SearchFill.Step * total / TimeSpan.FromHours(1));
            var from = start + TimeSpan.FromHours(random.Next(0, hours - 1)) + TimeSpan.FromMinutes(1);
            var page = await ListAsync(store, new EventFilter { EventType = type, From = from, To = from + TimeSpan.FromHours(1) });
            Check(page.Events.Count == 50 && page.Events.All(e => e.EventType == type && e.ReceivedAt >= from && e.ReceivedAt < from.AddHours(1)),
                $"type {type} in one hour from {from:O} fills a page");
        });
        await MeasureAsync(name, "q (recent)", Math.Max(10, samples / 10), 2000, async _ =>
        {
            var i = total - random.Next(RelationalWindow - 1);
            var page = await ListAsync(store, new EventFilter { Text = $"files/out-{i}\"" });
            Check(page.Events.Count == 1 && page.Events[0].WebhookId == $"msg_bench_{i}", $"q finds msg_bench_{i}");
        });
        await MeasureAsync(name, "q (no match, one window)", Math.Max(10, samples / 10), 2000, async _ =>
        {
            var page = await ListAsync(store, new EventFilter { Text = "no event holds this text" });
            Check(page.Events.Count == 0 && page.NextCursor is not null, "q without a match reads one window and gives a cursor");
        });
        await WalkAsync(store, name, total);
        await ReplayAsync(store, name, total, replayPage);
        return 0;
    }

    const int RelationalWindow = GeminiHooks.Storage.Relational.RelationalEventStore.TextSearchWindow;

    static Task<EventPage> ListAsync(IEventStore store, EventFilter filter, string? cursor = null) =>
        store.ListEventsAsync(new EventQuery(Limit: 50, Cursor: cursor) { Filter = filter }, CancellationToken.None);

    static long Number(StoredEvent e) => long.Parse(e.WebhookId["msg_bench_".Length..], CultureInfo.InvariantCulture);

    static void Check(bool condition, string what)
    {
        if (!condition)
            throw new InvalidOperationException("search bench: wrong answer: " + what);
    }

    static async Task MeasureAsync(string store, string check, int samples, double targetMs, Func<int, Task> query)
    {
        for (var n = 0; n < Math.Max(5, samples / 10); n++)
            await query(n); // warm-up, not counted
        var times = new List<double>(samples);
        for (var n = 0; n < samples; n++)
        {
            var clock = Stopwatch.StartNew();
            await query(n);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        var p99 = Percentile(times, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SEARCH store={store} check=\"{check}\" n={samples} p50_ms={Percentile(times, 0.50):0.00} p99_ms={p99:0.00} max_ms={times[^1]:0.00} target=\"p99 <= {targetMs} ms\" {(p99 <= targetMs ? "met" : "NOT MET")}"));
    }

    /// <summary>A text search for the oldest bench event, paged to the end as an operator pressing Older would: every window once.</summary>
    static async Task WalkAsync(IEventStore store, string name, long total)
    {
        var target = SearchFill.ThroughApi + 1;
        var clock = Stopwatch.StartNew();
        string? cursor = null;
        var pages = 0;
        var found = false;
        do
        {
            var page = await ListAsync(store, new EventFilter { Text = $"files/out-{target}\"" }, cursor);
            pages++;
            found |= page.Events.Any(e => e.WebhookId == $"msg_bench_{target}");
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Check(found, "the walk finds the oldest event");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SEARCH store={name} check=\"q, every page to the oldest event\" pages={pages} seconds={clock.Elapsed.TotalSeconds:0.00} per_page_ms={clock.Elapsed.TotalMilliseconds / pages:0.0} (each request bounded at {RelationalWindow} bodies; target \"<= 2 s\" is per request)"));
    }

    static async Task ReplayAsync(IEventStore store, string name, long total, int pageSize)
    {
        var filter = new EventFilter { Metadata = new Dictionary<string, string> { ["shard"] = "s3" } };
        var clock = Stopwatch.StartNew();
        var counted = await store.CountEventsAsync(filter, CancellationToken.None);
        var countMs = clock.Elapsed.TotalMilliseconds;
        Check(counted == total / 10, $"meta.shard=s3 counts {total / 10}");
        clock.Restart();
        var started = await store.StartReplayAsync(new ReplayRequest(filter, null, "bench"), CancellationToken.None);
        var progress = (ReplayProgress?)started;
        var owner = "bench-" + Environment.ProcessId;
        while (progress is { Status: "running" })
            progress = await store.RunReplayPageAsync(owner, TimeSpan.FromMinutes(1), pageSize, static (_, _) => ["log"], CancellationToken.None);
        var seconds = clock.Elapsed.TotalSeconds;
        Check(progress is { Status: "done" } && progress.Enqueued == counted && started.Matched == counted,
            $"the replay queues the {counted} events it matched");
        var backlog = await store.CountAsync(CancellationToken.None);
        Check(backlog.Pending == counted, $"{counted} pairs are pending after the replay (found {backlog.Pending})");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SEARCH store={name} check=\"dry-run count of meta.shard=s3\" matched={counted} ms={countMs:0.0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SEARCH store={name} check=\"replay of meta.shard=s3\" enqueued={progress!.Enqueued} seconds={seconds:0.00} pages_of={pageSize} target=\"<= 10 s\" {(seconds <= 10 ? "met" : "NOT MET")}"));
    }

    static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
