using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Server.Tests.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Server.Tests.Reconciliation;

/// <summary>
/// The real server with reconciliation and the watchdog on, its Gemini API a small job and webhooks API on loopback
/// (the resource shapes the SDKs read), its clock moved by the test.
/// </summary>
[Collection(Collection)]
public class ReconciliationServerTests
{
    /// <summary>
    /// The meter is read by name process-wide: reconciliation counters of another class's receivers running at the same
    /// time would show in this class's scrapes, so the two classes run one after the other.
    /// </summary>
    internal const string Collection = "reconciliation metrics";

    internal const string AdminKey = "reconcile-admin-key-1c9e-0123456";
    internal const string ApiKey = "AIzaSy-reconcile-test-key-7f3a";

    /// <summary>A Gemini API on loopback: job resources by name, and the webhooks list with a state the test forces.</summary>
    sealed class FakeGemini
    {
        public Dictionary<string, string> Jobs { get; } = new(StringComparer.Ordinal);
        public string WebhookState { get; set; } = "enabled";
        public int Requests;

        public void Map(WebApplication app)
        {
            app.MapGet("/v1beta/webhooks", () =>
            {
                Interlocked.Increment(ref Requests);
                return Results.Json(new JsonObject
                {
                    ["webhooks"] = new JsonArray(new JsonObject
                    {
                        ["id"] = "wh1",
                        ["name"] = "webhooks/wh1",
                        ["uri"] = "https://example.test/webhooks/gemini",
                        ["subscribed_events"] = new JsonArray("batch.succeeded", "batch.failed", "batch.expired"),
                        ["state"] = WebhookState,
                    }),
                });
            });
            app.MapGet("/v1beta/{**path}", (string path, HttpRequest request) =>
            {
                Interlocked.Increment(ref Requests);
                if (request.Headers["x-goog-api-key"] != ApiKey)
                    return Results.Json(new { error = new { code = 403, message = "bad key" } }, statusCode: 403);
                lock (Jobs)
                    return Jobs.TryGetValue(path, out var json) ? Results.Text(json, "application/json")
                        : Results.Json(new { error = new { code = 404, message = "not found" } }, statusCode: 404);
            });
        }
    }

    internal static Dictionary<string, string?> Settings(string gemini, string data) => new()
    {
        ["GeminiHooks:Admin:ApiKey"] = AdminKey,
        ["GeminiHooks:Gemini:BaseUrl"] = gemini,
        ["GeminiHooks:Gemini:ApiKey"] = ApiKey,
        ["GeminiHooks:Reconcile:Enabled"] = "true",
        ["GeminiHooks:Reconcile:Tick"] = "00:00:01",
        ["GeminiHooks:Reconcile:Grace"] = "00:10:00",
        ["GeminiHooks:Reconcile:PollInitial"] = "00:01:00",
        ["GeminiHooks:Watchdog:Enabled"] = "true",
        ["GeminiHooks:Watchdog:Interval"] = "00:01:00",
        ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
        ["GeminiHooks:Handlers:archive:Path"] = Path.Combine(data, "events.jsonl"),
    };

    static int HandledLines(string data) =>
        File.Exists(Path.Combine(data, "events.jsonl")) ? File.ReadAllLines(Path.Combine(data, "events.jsonl")).Length : 0;

    static async Task<JsonObject> JobAsync(HttpClient client, string name) =>
        (JsonObject)JsonNode.Parse(await client.GetStringAsync("/admin/jobs/" + name))!;

    [Theory]
    [InlineData("batch.succeeded", "BATCH_STATE_SUCCEEDED")]
    [InlineData("batch.failed", "BATCH_STATE_FAILED")]
    public async Task A_batch_whose_webhook_was_dropped_is_handled_once_and_late_deliveries_in_either_id_form_are_not_dispatched_again(
        string type, string state)
    {
        var gemini = new FakeGemini();
        await using var api = await LoopbackServer.StartAsync(gemini.Map);
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, Settings(api.Address, data.Path));
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        gemini.Jobs["batches/e1"] = """{"name":"batches/e1","metadata":{"state":"BATCH_STATE_RUNNING"},"done":false}""";

        using (var tracked = await client.PostAsJsonAsync("/admin/jobs", new { name = "batches/e1" }))
            Assert.Equal(HttpStatusCode.Created, tracked.StatusCode);
        using (var bad = await client.PostAsJsonAsync("/admin/jobs", new { name = "files/abc" }))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        await Eventually.AdvanceUntilAsync(receiver.Time, TimeSpan.FromSeconds(1),
            async () => (int)(await JobAsync(client, "batches/e1"))["polls"]! >= 1, "the job was polled");

        // It ends at Gemini; the webhook never comes.
        gemini.Jobs["batches/e1"] = $$"""{"name":"batches/e1","metadata":{"state":"{{state}}"},"done":true}""";
        await Eventually.AdvanceUntilAsync(receiver.Time, TimeSpan.FromSeconds(20),
            async () => (string?)(await JobAsync(client, "batches/e1"))["status"] == "ended", "the job was seen ended");
        Assert.Null((await JobAsync(client, "batches/e1"))["outcome"]);
        await Eventually.AdvanceUntilAsync(receiver.Time, TimeSpan.FromMinutes(1),
            async () => (await JobAsync(client, "batches/e1"))["outcome"] is not null, "an event was synthesized", maxSteps: 15);
        var outcome = (await JobAsync(client, "batches/e1"))["outcome"]!;
        Assert.True((bool)outcome["reconciled"]!);
        Assert.Equal(type, (string?)outcome["type"]);
        Assert.Equal("reconciled", (string?)outcome["endpoint"]);
        await Eventually.UntilAsync(() => HandledLines(data.Path) == 1, "the handler ran");

        // Gemini's late deliveries, short and full id: 200, stored, not dispatched.
        foreach (var (id, dataId) in new[] { ("msg_late_short", "e1"), ("msg_late_full", "batches/e1") })
        {
            using var late = await client.SendAsync(receiver.SignedStatic(id, Receiver.Event(type, dataId)));
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);
            Assert.Contains("duplicate", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var job = await JobAsync(client, "batches/e1");
        Assert.Equal(2, (int)job["outcome"]!["duplicates"]!);
        Assert.Equal(["batches/e1", "e1"], job["followers"]!.AsArray().Select(f => (string)f!["raw_id"]!).Order().ToArray());
        var events = JsonNode.Parse(await client.GetStringAsync("/admin/events"))!["events"]!.AsArray();
        Assert.Equal(3, events.Count);
        Assert.Equal(1, events.Count(e => e!["handlers"]!.AsArray().Count > 0));
        await Task.Delay(500);
        Assert.Equal(1, HandledLines(data.Path));
    }

    [Fact]
    public async Task A_delivery_before_grace_ends_means_no_synthesis_and_a_conflicting_late_type_is_recorded()
    {
        var gemini = new FakeGemini();
        await using var api = await LoopbackServer.StartAsync(gemini.Map);
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, Settings(api.Address, data.Path));
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        gemini.Jobs["batches/g1"] = """{"name":"batches/g1","metadata":{"state":"BATCH_STATE_SUCCEEDED"},"done":true}""";
        using (await client.PostAsJsonAsync("/admin/jobs", new { name = "batches/g1" })) { }
        await Eventually.AdvanceUntilAsync(receiver.Time, TimeSpan.FromSeconds(1),
            async () => (string?)(await JobAsync(client, "batches/g1"))["status"] == "ended", "the job was seen ended");

        using (var real = await client.SendAsync(receiver.SignedStatic("msg_real", Receiver.Event("batch.succeeded", "batches/g1"))))
            Assert.Contains("accepted", await real.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using (var conflict = await client.SendAsync(receiver.SignedStatic("msg_conflict", Receiver.Event("batch.failed", "g1"))))
        {
            Assert.Equal(HttpStatusCode.OK, conflict.StatusCode);
            Assert.Contains("duplicate", await conflict.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await Eventually.AdvanceUntilAsync(receiver.Time, TimeSpan.FromMinutes(1),
            async () => (string?)(await JobAsync(client, "batches/g1"))["status"] == "delivered", "the job was closed", maxSteps: 15);
        var job = await JobAsync(client, "batches/g1");
        Assert.False((bool)job["outcome"]!["reconciled"]!);
        Assert.Equal(1, (int)job["outcome"]!["conflicts"]!);
        Assert.Equal("conflict", (string?)job["followers"]![0]!["kind"]);
        await Eventually.UntilAsync(() => HandledLines(data.Path) == 1, "the handler ran");
        await Task.Delay(500);
        Assert.Equal(1, HandledLines(data.Path));

        var scrape = await client.GetStringAsync("/metrics");
        Assert.Equal(1, Prometheus.Value(scrape, "geminihooks_reconcile_conflicts_total", ("family", "batch"), ("type", "batch.failed")));
        Assert.Equal(0, Prometheus.Value(scrape, "geminihooks_reconcile_synthesized_total"));
    }

    [Fact]
    public async Task A_webhook_disabled_after_failed_deliveries_shows_in_the_metric_and_the_admin_api_within_one_interval()
    {
        var gemini = new FakeGemini();
        await using var api = await LoopbackServer.StartAsync(gemini.Map);
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, Settings(api.Address, data.Path));
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await Eventually.UntilAsync(async () => JsonNode.Parse(await client.GetStringAsync("/admin/webhooks"))!["checked_at"] is not null,
            "the watchdog looked once");
        var first = JsonNode.Parse(await client.GetStringAsync("/admin/webhooks"))!;
        Assert.Equal("enabled", (string?)first["webhooks"]![0]!["state"]);
        Assert.DoesNotContain(first["flags"]!.AsArray(), f => (string?)f!["kind"] == "disabled");

        gemini.WebhookState = "disabled_due_to_failed_deliveries";
        receiver.Time.Advance(TimeSpan.FromMinutes(1));
        await Eventually.UntilAsync(async () => JsonNode.Parse(await client.GetStringAsync("/admin/webhooks"))!["flags"]!.AsArray()
            .Any(f => (string?)f!["kind"] == "disabled"), "the disabled webhook was flagged");
        var scrape = await client.GetStringAsync("/metrics");
        Assert.Equal(1, Prometheus.Value(scrape, "geminihooks_webhook_state", ("id", "wh1"), ("state", "disabled_due_to_failed_deliveries")));
        Assert.Equal(1, Prometheus.Value(scrape, "geminihooks_webhook_flags", ("kind", "disabled")));
        // Readiness stays green: the receiver itself is fine.
        using var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        // The handlers take interaction and video events that the webhook is not subscribed to.
        var flags = JsonNode.Parse(await client.GetStringAsync("/admin/webhooks"))!["flags"]!.AsArray();
        Assert.Contains(flags, f => (string?)f!["kind"] == "unsubscribed");
    }
}

/// <summary>The Gemini API settings are checked only when a feature needs them, one line per key, never showing the key.</summary>
public class ReconciliationSettingsTests
{
    [Fact]
    public async Task Reconciliation_without_an_api_key_or_with_a_bad_version_stops_the_start_naming_each_key()
    {
        var validation = await GeminiHooks.Server.Tests.Configuration.ConfigurationTests.StartFails(new Dictionary<string, string?>
        {
            ["GeminiHooks:Reconcile:Enabled"] = "true",
            ["GeminiHooks:Gemini:ApiVersion"] = "v2",
            ["GeminiHooks:Gemini:BaseUrl"] = "http://gemini.example.com",
            ["GeminiHooks:Reconcile:PollMax"] = "00:00:10",
        });
        var lines = validation.Failures.ToList();
        Assert.Contains(lines, l => l.StartsWith("GeminiHooks:Gemini:ApiKey: is empty", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("GeminiHooks:Gemini:ApiVersion: must be v1beta or v1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("GeminiHooks:Gemini:BaseUrl: must be an absolute https URL", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("GeminiHooks:Reconcile:PollInitial:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_setting_never_echoes_the_api_key()
    {
        const string key = "AIzaSy-secret-never-shown";
        var validation = await GeminiHooks.Server.Tests.Configuration.ConfigurationTests.StartFails(new Dictionary<string, string?>
        {
            ["GeminiHooks:Watchdog:Enabled"] = "true",
            ["GeminiHooks:Gemini:ApiKey"] = key,
            ["GeminiHooks:Gemini:RequestBudgetPerMinute"] = "0",
        });
        var line = Assert.Single(validation.Failures);
        Assert.StartsWith("GeminiHooks:Gemini:RequestBudgetPerMinute:", line);
        Assert.DoesNotContain(key, validation.Message, StringComparison.Ordinal);
    }
}
