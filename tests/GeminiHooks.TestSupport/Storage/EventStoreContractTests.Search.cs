using System.Text;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;

namespace GeminiHooks.TestSupport.Storage;

/// <summary>Search: every filter alone and together, the keys extracted at accept time, and paging under inserts.</summary>
public abstract partial class EventStoreContractTests
{
    static byte[] JobBody(string type, string dataId, string? topMeta = null, string? dataMeta = null, string extra = "") =>
        Encoding.UTF8.GetBytes($$"""
            {"type":"{{type}}","data":{"id":"{{dataId}}"{{(dataMeta is null ? "" : ",\"user_metadata\":" + dataMeta)}}}{{(topMeta is null ? "" : ",\"user_metadata\":" + topMeta)}},"note":"{{extra}}"}
            """);

    /// <summary>The seeded events were received in the past, so their pairs are due when the test claims them.</summary>
    DateTimeOffset SearchStart => Time.GetUtcNow().AddMinutes(-10);

    async Task<List<string>> IdsAsync(EventFilter filter, int limit = 500)
    {
        var page = await Store.ListEventsAsync(new EventQuery(Limit: limit) { Filter = filter }, Ct);
        return page.Events.Select(e => e.WebhookId).ToList();
    }

    /// <summary>Six events that differ in one thing each, so every filter picks a known set.</summary>
    async Task SeedSearchEventsAsync()
    {
        var start = SearchStart;
        await Store.AcceptAsync(Delivery("e1", "batch.succeeded", ["log"], body: JobBody("batch.succeeded", "batches/111",
            topMeta: """{"team":"red","run":7}"""), receivedAt: start), Ct);
        await Store.AcceptAsync(Delivery("e2", "batch.failed", ["log", "slack"], body: JobBody("batch.failed", "222",
            dataMeta: """{"team":"blue"}""", extra: "quota exceeded"), receivedAt: start.AddMinutes(1)), Ct);
        await Store.AcceptAsync(Delivery("e3", "video.generated", ["slack"], endpoint: "dynamic",
            body: JobBody("video.generated", "models/veo/operations/333", topMeta: """{"team":"red"}""", dataMeta: """{"team":"green","env":"prod"}"""),
            receivedAt: start.AddMinutes(2)), Ct);
        await Store.AcceptAsync(Delivery("e4", "interaction.requires_action", ["log"],
            body: JobBody("interaction.requires_action", "interactions/v1_444", extra: "needs a tool"), receivedAt: start.AddMinutes(3)), Ct);
        await Store.AcceptAsync(Delivery("e5", "batch.succeeded", [], endpoint: "reconciled",
            body: JobBody("batch.succeeded", "batches/555"), receivedAt: start.AddMinutes(4)), Ct);
        await Store.AcceptAsync(Delivery("e6", "custom", [], body: Encoding.UTF8.GetBytes("not json, quota"),
            receivedAt: start.AddMinutes(5)) with { Quarantined = true }, Ct);
        // e2's slack pair dies, e1's log pair succeeds.
        var claimed = await Store.ClaimAsync("w1", 10, TimeSpan.FromMinutes(1), Ct);
        foreach (var item in claimed)
        {
            if (item.WebhookId == "e2" && item.Handler == "slack")
                Assert.True(await Store.FailAsync(item, "HTTP 500", null, Ct));
            else if (item.WebhookId == "e1")
                Assert.True(await Store.CompleteAsync(item, Ct));
            else
                Assert.True(await Store.FailAsync(item, "later", Time.GetUtcNow().AddHours(1), Ct));
        }
    }

    [Fact]
    public async Task Each_search_filter_alone_picks_exactly_its_events_newest_first()
    {
        await SeedSearchEventsAsync();
        var start = SearchStart;
        Assert.Equal(["e6", "e5", "e4", "e3", "e2", "e1"], await IdsAsync(new EventFilter()));
        // job: the full name and the bare id find the same event, whichever form was delivered.
        Assert.Equal(["e1"], await IdsAsync(new EventFilter { Job = "batches/111" }));
        Assert.Equal(["e1"], await IdsAsync(new EventFilter { Job = "111" }));
        Assert.Equal(["e2"], await IdsAsync(new EventFilter { Job = "batches/222" }));
        Assert.Equal(["e3"], await IdsAsync(new EventFilter { Job = "operations/333" }));
        Assert.Equal(["e4"], await IdsAsync(new EventFilter { Job = "v1_444" }));
        Assert.Empty(await IdsAsync(new EventFilter { Job = "batches/999" }));
        Assert.Equal(["e5", "e1"], await IdsAsync(new EventFilter { EventType = "batch.succeeded" }));
        Assert.Equal(["e5", "e2", "e1"], await IdsAsync(new EventFilter { EventTypePrefix = "batch." }));
        Assert.Empty(await IdsAsync(new EventFilter { EventTypePrefix = "batch.x" }));
        Assert.Equal(["e6"], await IdsAsync(new EventFilter { Status = EventStatus.Quarantined }));
        Assert.Equal(["e5", "e1"], await IdsAsync(new EventFilter { Status = EventStatus.Done }));
        Assert.Equal(["e3"], await IdsAsync(new EventFilter { Endpoint = "dynamic" }));
        Assert.Equal(["e5"], await IdsAsync(new EventFilter { Endpoint = "reconciled" }));
        Assert.Equal(["e3", "e2"], await IdsAsync(new EventFilter { Handler = "slack" }));
        Assert.Equal(["e2"], await IdsAsync(new EventFilter { HandlerStatus = RunStatus.Dead }));
        Assert.Equal(["e1"], await IdsAsync(new EventFilter { HandlerStatus = RunStatus.Succeeded }));
        Assert.Equal(["e4", "e3", "e2"], await IdsAsync(new EventFilter { HandlerStatus = RunStatus.Pending }));
        // from is inclusive, to exclusive, both on received-at.
        Assert.Equal(["e6", "e5", "e4"], await IdsAsync(new EventFilter { From = start.AddMinutes(3) }));
        Assert.Equal(["e2", "e1"], await IdsAsync(new EventFilter { To = start.AddMinutes(2) }));
        // user_metadata: at the top level or inside data; the top level wins when both name a key.
        Assert.Equal(["e3", "e1"], await IdsAsync(new EventFilter { Metadata = new Dictionary<string, string> { ["team"] = "red" } }));
        Assert.Equal(["e2"], await IdsAsync(new EventFilter { Metadata = new Dictionary<string, string> { ["team"] = "blue" } }));
        Assert.Empty(await IdsAsync(new EventFilter { Metadata = new Dictionary<string, string> { ["team"] = "green" } }));
        Assert.Equal(["e3"], await IdsAsync(new EventFilter { Metadata = new Dictionary<string, string> { ["env"] = "prod" } }));
        Assert.Equal(["e1"], await IdsAsync(new EventFilter { Metadata = new Dictionary<string, string> { ["run"] = "7" } }));
        // q: bytes of the body, JSON or not, case-sensitive.
        Assert.Equal(["e6", "e2"], await IdsAsync(new EventFilter { Text = "quota" }));
        Assert.Empty(await IdsAsync(new EventFilter { Text = "QUOTA" }));
    }

    [Fact]
    public async Task Search_filters_combine_and_page_with_the_filter_kept()
    {
        await SeedSearchEventsAsync();
        var start = SearchStart;
        Assert.Equal(["e2"], await IdsAsync(new EventFilter { EventTypePrefix = "batch.", Handler = "slack", HandlerStatus = RunStatus.Dead }));
        Assert.Empty(await IdsAsync(new EventFilter { Handler = "log", HandlerStatus = RunStatus.Dead }));
        Assert.Equal(["e3"], await IdsAsync(new EventFilter
        {
            Endpoint = "dynamic", Metadata = new Dictionary<string, string> { ["team"] = "red", ["env"] = "prod" },
        }));
        Assert.Empty(await IdsAsync(new EventFilter { Metadata = new Dictionary<string, string> { ["team"] = "red", ["env"] = "dev" } }));
        Assert.Equal(["e2"], await IdsAsync(new EventFilter { Text = "quota", Job = "222", From = start.AddMinutes(1), To = start.AddMinutes(2) }));
        Assert.Equal(["e5"], await IdsAsync(new EventFilter { Status = EventStatus.Done, Endpoint = "reconciled", Job = "555" }));
        // The older query form still works, and its status and type win over the filter's.
        var legacy = await Store.ListEventsAsync(new EventQuery(Status: EventStatus.Done, EventType: "batch.succeeded")
        {
            Filter = new EventFilter { Endpoint = "static" },
        }, Ct);
        Assert.Equal(["e1"], legacy.Events.Select(e => e.WebhookId));

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Store.ListEventsAsync(new EventQuery(Limit: 1, Cursor: cursor) { Filter = new EventFilter { EventTypePrefix = "batch." } }, Ct);
            seen.AddRange(page.Events.Select(e => e.WebhookId));
            cursor = page.NextCursor;
        } while (cursor is not null);
        Assert.Equal(["e5", "e2", "e1"], seen);
    }

    [Fact]
    public async Task A_later_delivery_of_a_job_is_found_by_the_job_too()
    {
        var body = JobBody("batch.succeeded", "batches/777", topMeta: """{"k":"v"}""");
        Assert.Equal(AcceptOutcome.Accepted, await Store.AcceptAsync(Delivery("first", body: body) with
        {
            Job = JobNames.OutcomeOf("batch.succeeded", "batches/777", reconciled: false),
        }, Ct));
        Assert.Equal(AcceptOutcome.Superseded, await Store.AcceptAsync(Delivery("again", body: body) with
        {
            Job = JobNames.OutcomeOf("batch.succeeded", "777", reconciled: false),
        }, Ct));
        Assert.Equal(["again", "first"], await IdsAsync(new EventFilter { Job = "777" }));
        Assert.Equal(["again", "first"], await IdsAsync(new EventFilter { Metadata = new Dictionary<string, string> { ["k"] = "v" } }));
    }

    [Fact]
    public async Task A_filtered_search_pages_each_match_once_while_matching_events_keep_arriving()
    {
        for (var i = 0; i < 30; i++)
            await Store.AcceptAsync(Delivery($"old{i:D2}", i % 2 == 0 ? "batch.succeeded" : "video.generated",
                body: JobBody("batch.succeeded", $"batches/{i}", topMeta: """{"team":"red"}""", extra: "needle")), Ct);
        var filter = new EventFilter { EventTypePrefix = "batch.", Metadata = new Dictionary<string, string> { ["team"] = "red" }, Text = "needle" };
        var seen = new List<string>();
        string? cursor = null;
        var inserted = 0;
        do
        {
            var page = await Store.ListEventsAsync(new EventQuery(Limit: 4, Cursor: cursor) { Filter = filter }, Ct);
            seen.AddRange(page.Events.Select(e => e.WebhookId));
            cursor = page.NextCursor;
            // Newer matching events arrive between pages: they belong to a new search, never to this one's later pages.
            await Store.AcceptAsync(Delivery($"new{inserted++}", body: JobBody("batch.succeeded", "batches/x", topMeta: """{"team":"red"}""",
                extra: "needle")), Ct);
        } while (cursor is not null);
        var expected = Enumerable.Range(0, 30).Where(i => i % 2 == 0).Select(i => $"old{i:D2}").Reverse().ToList();
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task A_text_search_reads_a_bounded_window_per_page_and_its_cursor_moves_past_it()
    {
        var window = GeminiHooks.Storage.Relational.RelationalEventStore.TextSearchWindow;
        await Store.AcceptAsync(Delivery("needle", body: JobBody("batch.succeeded", "batches/1", extra: "a needle")), Ct);
        // Concurrent accepts share group commits, so thousands of rows cost a few transactions.
        await Task.WhenAll(Enumerable.Range(0, window).Chunk(500).Select(chunk => Task.WhenAll(chunk.Select(i =>
            Store.AcceptAsync(Delivery($"hay{i}"), Ct)))));
        var first = await Store.ListEventsAsync(new EventQuery(Limit: 10) { Filter = new EventFilter { Text = "needle" } }, Ct);
        // The newest window holds no match: the page is empty, yet its cursor says there is more to read.
        Assert.Empty(first.Events);
        Assert.NotNull(first.NextCursor);
        var second = await Store.ListEventsAsync(new EventQuery(Limit: 10, Cursor: first.NextCursor) { Filter = new EventFilter { Text = "needle" } }, Ct);
        Assert.Equal(["needle"], second.Events.Select(e => e.WebhookId));
        Assert.Null(second.NextCursor);
    }
}
