using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>The dashboard's event search, paging, detail and "replay matching" in a real (headless) browser, against the real server.</summary>
public class DashboardSearchTests(ITestOutputHelper output)
{
    const string AdminKey = "dashboard-search-key-7a2e9b-98765";
    const int Events = 60;
    const string Rows = "#event-rows tr";

    static string Body(string type, string job, string metadata) =>
        $$"""{"type":"{{type}}","version":"v1","timestamp":"2026-11-23T10:00:00Z","data":{"id":"{{job}}"},"user_metadata":{{metadata}}}""";

    [Fact]
    public async Task An_operator_finds_an_event_by_its_job_pages_past_50_and_replays_matching_events_after_seeing_the_count()
    {
        await using var downstream = await Downstream.StartAsync();
        downstream.Succeed = true;
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
            ["GeminiHooks:Handlers:forward:Type"] = "http",
            ["GeminiHooks:Handlers:forward:Url"] = downstream.Url,
            ["GeminiHooks:Handlers:forward:Secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        });
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        for (var i = 0; i < Events; i++)
        {
            var body = Body(i % 3 == 0 ? "batch.failed" : "batch.succeeded", $"batches/dash-{i:00}",
                $$"""{"team":"{{(i % 2 == 0 ? "red" : "blue")}}"}""");
            using var delivered = await client.SendAsync(receiver.SignedStatic($"msg_search_{i:00}", body));
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        }
        // Metadata is the sender's text: it must reach the page as characters, never as markup.
        const string Hostile = """{"note":"<img src=x onerror=\"window.__pwned=1\">"}""";
        using (var hostile = await client.SendAsync(receiver.SignedStatic("msg_hostile", Body("batch.succeeded", "batches/dash-hostile", Hostile))))
            Assert.Equal(HttpStatusCode.OK, hostile.StatusCode);
        await Eventually.UntilAsync(() => Task.FromResult(downstream.Calls == Events + 1), "every event reaches the handler",
            TimeSpan.FromSeconds(30));

        await using var browser = await Chromium.LaunchAsync();
        await browser.NavigateAsync(new Uri(client.BaseAddress!, "/admin").ToString());
        await browser.EvaluateAsync($"document.getElementById('key').value = '{AdminKey}'; document.getElementById('key-form').requestSubmit()");

        // The newest 50, then the page past them, then back.
        await browser.WaitForAsync($"document.querySelectorAll('{Rows}').length === 50", TimeSpan.FromSeconds(15));
        Assert.Equal("msg_hostile", (string?)await browser.EvaluateAsync($"document.querySelector('{Rows}').dataset.webhookId"));
        await browser.ClickAsync("#page-older");
        await browser.WaitForAsync($"document.querySelectorAll('{Rows}').length === {Events + 1 - 50}", TimeSpan.FromSeconds(10));
        Assert.NotNull(await browser.EvaluateAsync($"document.querySelector(\"{Rows}[data-webhook-id='msg_search_00']\")?.dataset.webhookId"));
        Assert.StartsWith("Page 2 of every event", (string?)await browser.EvaluateAsync("document.getElementById('search-summary').textContent"),
            StringComparison.Ordinal);
        Assert.True((bool?)await browser.EvaluateAsync("document.getElementById('page-older').disabled"));
        await browser.ClickAsync("#page-newer");
        await browser.WaitForAsync($"document.querySelectorAll('{Rows}').length === 50", TimeSpan.FromSeconds(10));

        // The hostile metadata shows as text beside its webhook id; nothing it names ran or loaded.
        const string HostileMetadata = $"document.querySelector(\"{Rows}[data-webhook-id='msg_hostile'] .metadata\").textContent";
        await browser.WaitForAsync(HostileMetadata + ".includes('<img src=x')", TimeSpan.FromSeconds(10));
        Assert.Equal(0, (int?)await browser.EvaluateAsync("document.querySelectorAll('#event-rows img').length"));
        Assert.True((bool?)await browser.EvaluateAsync("window.__pwned === undefined"));

        // Search by the job's short form: exactly its event, with its job and metadata beside the webhook id.
        await browser.EvaluateAsync("document.getElementById('search-job').value = 'dash-42'; document.getElementById('search-form').requestSubmit()");
        const string Found = $"document.querySelector(\"{Rows}[data-webhook-id='msg_search_42']\")";
        await browser.WaitForAsync($"document.querySelectorAll('{Rows}').length === 1 && {Found}", TimeSpan.FromSeconds(10));
        await browser.WaitForAsync(Found + ".querySelector('.job').textContent === 'job batches/dash-42'", TimeSpan.FromSeconds(10));
        Assert.Equal("team=red", (string?)await browser.EvaluateAsync(Found + ".querySelector('.metadata').textContent"));
        Assert.True((bool?)await browser.EvaluateAsync("document.getElementById('page-older').disabled"));

        // Its detail: body (as text), handler runs, and the followers lookup (the job is not tracked here).
        await browser.ClickAsync($"{Rows}[data-webhook-id='msg_search_42'] button.details");
        await browser.WaitForAsync("document.getElementById('detail').open && document.getElementById('detail-body').textContent.includes('dash-42')",
            TimeSpan.FromSeconds(10));
        await browser.WaitForAsync("document.getElementById('detail-followers-note').textContent.includes('not tracked')", TimeSpan.FromSeconds(10));
        Assert.NotNull(await browser.EvaluateAsync("document.querySelector(\"#detail-handlers tr[data-handler='forward']\")?.dataset.handler"));
        await browser.ClickAsync("#detail-close");

        // Replay matching: the dry-run count first (nothing queued yet), then, confirmed, exactly those events again.
        await browser.EvaluateAsync("""
            document.getElementById('search-job').value = '';
            document.getElementById('search-type').value = 'batch.failed';
            document.getElementById('search-form').requestSubmit()
            """);
        await browser.WaitForAsync($"document.querySelectorAll('{Rows}').length === {Events / 3}", TimeSpan.FromSeconds(10));
        await browser.ClickAsync("#replay-matching");
        await browser.WaitForAsync("document.getElementById('replay-confirm').open", TimeSpan.FromSeconds(10));
        Assert.StartsWith($"{Events / 3} events match type=batch.failed",
            (string?)await browser.EvaluateAsync("document.getElementById('replay-count').textContent"), StringComparison.Ordinal);
        Assert.Equal(Events / 3, await DryRunAsync(client, """{"filter":{"type":"batch.failed"},"dry_run":true}"""));
        Assert.Equal(Events + 1, downstream.Calls);
        var shots = Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "screenshots")).FullName;
        await browser.ScreenshotAsync(Path.Combine(shots, "dashboard-replay-matching.png"));
        output.WriteLine("screenshot of the replay confirmation: " + Path.Combine(shots, "dashboard-replay-matching.png"));

        await browser.ClickAsync("#replay-go");
        await browser.WaitForAsync("document.getElementById('replay-progress').dataset.status === 'done'", TimeSpan.FromSeconds(20));
        Assert.Equal($"{Events / 3}", (string?)await browser.EvaluateAsync("document.getElementById('replay-progress').dataset.enqueued"));
        var replayId = (string?)await browser.EvaluateAsync("document.getElementById('replay-progress').dataset.replayId");
        using (var replay = await client.GetAsync($"/admin/replays/{replayId}"))
        {
            var state = JsonNode.Parse(await replay.Content.ReadAsStringAsync())!;
            Assert.Equal(Events / 3, (int)state["enqueued"]!);
            Assert.Equal("done", (string?)state["status"]);
        }
        await Eventually.UntilAsync(() => Task.FromResult(downstream.Calls == Events + 1 + Events / 3),
            "the replayed events reach the handler once more", TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        Assert.Equal(Events + 1 + Events / 3, downstream.Calls); // and nothing else did
    }

    static async Task<int> DryRunAsync(HttpClient client, string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/admin/replays", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("matched").GetInt32();
    }
}
