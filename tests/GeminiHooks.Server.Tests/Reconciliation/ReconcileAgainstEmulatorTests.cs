using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Server.Tests.Operations;

namespace GeminiHooks.Server.Tests.Reconciliation;

/// <summary>
/// Reconciliation against the Gemini emulator (<c>geminihooks emulate</c>) on loopback: a job is created at the emulator,
/// tracked with <c>geminihooks track</c>, and finished with its webhook dropped; the receiver, whose Gemini API is the
/// emulator, reads the job back, synthesizes its event after the grace time and runs the handler once. The receiver's
/// clock is moved by the test; the emulator's HTTP is real.
/// </summary>
[Collection(ReconciliationServerTests.Collection)]
public class ReconcileAgainstEmulatorTests : IAsyncLifetime
{
    const string AdminKey = ReconciliationServerTests.AdminKey;
    const string ApiKey = ReconciliationServerTests.ApiKey;
    static readonly string[] BatchEvents = ["batch.succeeded", "batch.failed"];
    readonly TempDirectory _data = new();
    EmulatorProcess _emulatorProcess = null!;
    HttpClient _emulator = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;
    string _root = "";

    /// <summary>The settings of the stand-in tests, pointed at the emulator (the watchdog on too).</summary>
    static Dictionary<string, string?> Settings(string root, string data) => ReconciliationServerTests.Settings(root, data);

    public async Task InitializeAsync()
    {
        _emulatorProcess = await EmulatorProcess.StartAsync(ApiKey, "--api-key", ApiKey);
        _emulator = _emulatorProcess.Client;
        var root = _emulatorProcess.Root;
        _root = root;
        _receiver = new Receiver(_data.Path, Settings(_root, _data.Path));
        _client = _receiver.Start();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    public async Task DisposeAsync()
    {
        await _emulatorProcess.DisposeAsync();
        _client.Dispose();
        await _receiver.DisposeAsync();
        _data.Dispose();
    }

    int HandledLines() =>
        File.Exists(Path.Combine(_data.Path, "events.jsonl")) ? File.ReadAllLines(Path.Combine(_data.Path, "events.jsonl")).Length : 0;

    async Task<JsonObject> JobAsync(string name) => (JsonObject)JsonNode.Parse(await _client.GetStringAsync("/admin/jobs/" + name))!;

    /// <summary>
    /// Creates a job at the emulator with the SDK's creation call; returns the name to track (an interaction is tracked
    /// under its REST path, interactions/&lt;id&gt;) and the job as the API names it (an interaction by its bare id).
    /// </summary>
    async Task<(string Track, string Job)> CreateAsync(string family)
    {
        var (path, body) = family switch
        {
            "batch" => ("v1beta/models/gemini-2.5-flash:batchGenerateContent", new JsonObject { ["batch"] = new JsonObject { ["displayName"] = "nightly" } }),
            "video" => ("v1beta/models/veo-3.0-generate-001:predictLongRunning", new JsonObject { ["instances"] = new JsonArray() }),
            _ => ("v1beta/interactions", new JsonObject { ["model"] = "deep-research", ["background"] = true }),
        };
        using var response = await _emulator.PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (family != "interaction")
            return ((string)created["name"]!, (string)created["name"]!);
        var id = (string)created["id"]!;
        Assert.StartsWith("v1_", id, StringComparison.Ordinal);
        return ("interactions/" + id, id);
    }

    [Theory]
    [InlineData("batch", "batch.succeeded")]
    [InlineData("batch", "batch.expired")]
    [InlineData("video", "video.generated")]
    [InlineData("interaction", "interaction.completed")]
    [InlineData("interaction", "interaction.failed")]
    public async Task A_job_finished_with_its_webhook_dropped_is_synthesized_after_grace_and_handled_once(string family, string type)
    {
        var (name, job) = await CreateAsync(family);
        using (var output = new StringWriter())
        {
            var exit = await GeminiHooks.Cli.Program.RunAsync(
                ["track", name, "--receiver", _client.BaseAddress!.ToString(), "--admin-key", AdminKey], output, TextWriter.Null);
            Assert.Equal(0, exit);
        }
        await Eventually.AdvanceUntilAsync(_receiver.Time, TimeSpan.FromSeconds(1),
            async () => (int)(await JobAsync(name))["polls"]! >= 1, "the job was polled while running");
        Assert.Equal("open", (string?)(await JobAsync(name))["status"]);

        using (var finished = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name = job, type, webhook = "drop" }))
            Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        await Eventually.AdvanceUntilAsync(_receiver.Time, TimeSpan.FromSeconds(20),
            async () => (string?)(await JobAsync(name))["status"] == "ended", "the job was seen ended");
        await Eventually.AdvanceUntilAsync(_receiver.Time, TimeSpan.FromMinutes(1),
            async () => (await JobAsync(name))["outcome"] is not null, "an event was synthesized", maxSteps: 15);
        var outcome = (await JobAsync(name))["outcome"]!;
        Assert.True((bool)outcome["reconciled"]!);
        Assert.Equal(type, (string?)outcome["type"]);
        await Eventually.UntilAsync(() => Task.FromResult(HandledLines() == 1), "the handler ran");
        AssertSynthesizedAsTheGuideShowsIt(type, job, (JsonObject)JsonNode.Parse(await _client.GetStringAsync(
            $"/admin/events/{(string)outcome["endpoint"]!}/{(string)outcome["webhook_id"]!}"))!["body"]!["data"]!);

        // Gemini's delivery after all, late, with the short id: answered 200, not dispatched again.
        var shortId = name[(name.LastIndexOf('/') + 1)..];
        using (var late = await _client.SendAsync(_receiver.SignedStatic("msg_late_" + shortId, Receiver.Event(type, shortId))))
            Assert.Contains("duplicate", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Equal(1, HandledLines());
    }

    /// <summary>The synthesized event's data carries the fields of the current webhooks guide for its type.</summary>
    static void AssertSynthesizedAsTheGuideShowsIt(string type, string job, JsonObject data)
    {
        Assert.Equal(job, (string?)data["id"]); // interactions: the bare v1_ id, not the path they are tracked under
        switch (type)
        {
            case "video.generated":
                Assert.StartsWith("https://", (string?)data["output_file_uri"], StringComparison.Ordinal);
                Assert.Matches("^files/[a-z0-9-]+$", (string?)data["file_name"]);
                Assert.Equal((string?)data["output_file_uri"], (string?)data["video_uri"]); // the older field, kept for the cookbook
                break;
            case "interaction.failed":
                Assert.False(string.IsNullOrEmpty((string?)data["error_code"]));
                Assert.False(string.IsNullOrEmpty((string?)data["error_message"]));
                break;
            case "interaction.completed":
                Assert.Equal(["id"], data.Select(p => p.Key)); // the guide's interaction.completed carries the id alone
                break;
            case "batch.succeeded":
                Assert.StartsWith("files/", (string?)data["output_file_uri"], StringComparison.Ordinal);
                break;
        }
    }

    async Task<int> EmulatorRequestsAsync(string resource) =>
        (int?)JsonNode.Parse(await _emulator.GetStringAsync("emulator/stats"))!["requests"]![resource] ?? 0;

    [Fact]
    public async Task While_the_api_answers_429_and_500_polling_backs_off_and_the_job_is_still_reconciled_once()
    {
        var (name, _) = await CreateAsync("batch");
        using (var tracked = await _client.PostAsJsonAsync("/admin/jobs", new { name }))
            Assert.Equal(HttpStatusCode.Created, tracked.StatusCode);
        using (var finished = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name, webhook = "drop" }))
            Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        var before = await EmulatorRequestsAsync("batches");
        using (var armed = await _emulator.PostAsJsonAsync("emulator/faults", new { status = 429, count = 3, retry_after_seconds = 2 }))
            Assert.Equal(HttpStatusCode.OK, armed.StatusCode);

        await Eventually.AdvanceUntilAsync(_receiver.Time, TimeSpan.FromSeconds(1),
            async () => (string?)(await JobAsync(name))["status"] == "ended", "the job was seen ended through the 429s", maxSteps: 120);
        // Three 429s, then the answer: every one a request of its own, none skipped, none more.
        Assert.Equal(before + 4, await EmulatorRequestsAsync("batches"));

        using (var armed = await _emulator.PostAsJsonAsync("emulator/faults", new { status = 500, count = 2 }))
            Assert.Equal(HttpStatusCode.OK, armed.StatusCode);
        await Eventually.AdvanceUntilAsync(_receiver.Time, TimeSpan.FromMinutes(1),
            async () => (await JobAsync(name))["outcome"] is not null, "an event was synthesized", maxSteps: 30);
        await Eventually.UntilAsync(() => Task.FromResult(HandledLines() == 1), "the handler ran");
        var scrape = await _client.GetStringAsync("/metrics");
        Assert.True(Prometheus.Value(scrape, "geminihooks_gemini_requests_total", ("status", "429")) >= 3);
        await Task.Delay(300);
        Assert.Equal(1, HandledLines());
    }

    [Fact]
    public async Task A_webhook_the_emulator_disables_shows_in_the_metric_and_the_admin_api_within_one_interval()
    {
        using var created = await _emulator.PostAsJsonAsync("v1beta/webhooks", new
        {
            uri = new Uri(_client.BaseAddress!, "/webhooks/gemini").ToString(),
            subscribed_events = BatchEvents,
        });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var id = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!;
        using (var forced = await _emulator.PostAsJsonAsync($"emulator/webhooks/{id}/state", new { state = "disabled_due_to_failed_deliveries" }))
            Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        using (var bad = await _emulator.PostAsJsonAsync($"emulator/webhooks/{id}/state", new { state = "sleeping" }))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        _receiver.Time.Advance(TimeSpan.FromMinutes(1));
        await Eventually.UntilAsync(async () => JsonNode.Parse(await _client.GetStringAsync("/admin/webhooks"))!["flags"]!.AsArray()
            .Any(f => (string?)f!["kind"] == "disabled"), "the disabled webhook was flagged");
        var scrape = await _client.GetStringAsync("/metrics");
        Assert.Equal(1, Prometheus.Value(scrape, "geminihooks_webhook_state", ("id", id), ("state", "disabled_due_to_failed_deliveries")));
    }

    [Fact]
    public async Task Batch_discovery_lists_the_batches_at_the_emulator_and_tracks_the_unfinished_ones()
    {
        var (running, _) = await CreateAsync("batch");
        var (done, _) = await CreateAsync("batch");
        using (var finished = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name = done, webhook = "drop" }))
            Assert.Equal(HttpStatusCode.OK, finished.StatusCode);

        using var data = new TempDirectory();
        var settings = Settings(_root, data.Path);
        settings["GeminiHooks:Reconcile:DiscoverBatches"] = "true";
        await using var receiver = new Receiver(data.Path, settings);
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await Eventually.AdvanceUntilAsync(receiver.Time, TimeSpan.FromSeconds(1), async () =>
            JsonNode.Parse(await client.GetStringAsync("/admin/jobs"))!["jobs"]!.AsArray().Count > 0, "discovery ran");
        var names = JsonNode.Parse(await client.GetStringAsync("/admin/jobs"))!["jobs"]!.AsArray().Select(j => (string?)j!["name"]).ToList();
        Assert.Contains(running, names);
        Assert.DoesNotContain(done, names);
    }

    [Fact]
    public async Task A_delayed_webhook_arrives_after_its_delay_and_its_data_id_takes_the_form_asked_for()
    {
        await using var hook = await LoopbackReceiver.StartAsync();
        using var response = await _emulator.PostAsJsonAsync("v1beta/models/gemini-2.5-flash:batchGenerateContent", new JsonObject
        {
            ["batch"] = new JsonObject { ["webhookConfig"] = new JsonObject { ["uris"] = new JsonArray(hook.Url("/hook")) } },
        });
        var name = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["name"]!;
        using (var bad = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name, webhook = "delay" }))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var started = DateTimeOffset.UtcNow;
        using (var finished = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name, webhook = "delay", delay_seconds = 2, id_form = "short" }))
            Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        // The job reads as ended at once; its delivery comes later.
        var batch = JsonNode.Parse(await _emulator.GetStringAsync("v1beta/" + name))!;
        Assert.Equal("BATCH_STATE_SUCCEEDED", (string?)batch["metadata"]!["state"]);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(hook.Requests);
        await Eventually.UntilAsync(() => Task.FromResult(!hook.Requests.IsEmpty), "the delayed delivery arrived");
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromSeconds(2));
        var delivered = JsonNode.Parse(Assert.Single(hook.Requests).Body)!;
        Assert.Equal(name[(name.LastIndexOf('/') + 1)..], (string?)delivered["data"]!["id"]);
    }
}
