using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>The dashboard at /admin in a real (headless) browser, against the real server.</summary>
public class DashboardTests(ITestOutputHelper output)
{
    const string AdminKey = "dashboard-admin-key-5f1d2c-01234";
    const string HandlerSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Fact]
    public async Task A_dead_lettered_event_shows_in_the_dashboard_and_its_replay_button_runs_the_handler_again()
    {
        await using var downstream = await Downstream.StartAsync();
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
            ["GeminiHooks:Dispatch:MaxAttempts"] = "1",
            ["GeminiHooks:Handlers:forward:Type"] = "http",
            ["GeminiHooks:Handlers:forward:Url"] = downstream.Url,
            ["GeminiHooks:Handlers:forward:Secret"] = HandlerSecret,
        });
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        using (var delivered = await client.SendAsync(receiver.SignedStatic("msg_dashboard", Receiver.Event())))
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        await WaitForStatusAsync(client, "msg_dashboard", "dead");
        Assert.Equal(1, downstream.Calls);

        // The page is served without the key; the data is not.
        using (var page = await new HttpClient().GetAsync(new Uri(client.BaseAddress!, "/admin/")))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }

        await using var browser = await Chromium.LaunchAsync();
        await browser.NavigateAsync(new Uri(client.BaseAddress!, "/admin").ToString());
        // Entered once in the page, kept in sessionStorage.
        await browser.EvaluateAsync($"document.getElementById('key').value = '{AdminKey}'; document.getElementById('key-form').requestSubmit()");
        const string deadRow = "#dead-rows tr[data-webhook-id='msg_dashboard']";
        await browser.WaitForAsync($"document.querySelector(\"{deadRow}\")", TimeSpan.FromSeconds(15));
        await browser.WaitForAsync("document.getElementById('backlog-dead').textContent === '1'", TimeSpan.FromSeconds(10));
        Assert.Equal(AdminKey, (string?)await browser.EvaluateAsync("sessionStorage.getItem('geminihooks.adminKey')"));
        Assert.Contains("500", (string?)await browser.EvaluateAsync($"document.querySelector(\"{deadRow}\").innerText") ?? "", StringComparison.Ordinal);
        Assert.Equal("ready", (string?)await browser.EvaluateAsync("document.getElementById('ready-value').textContent"));
        // Kept (and overwritten) in the git-ignored artifacts folder, to look at after a run.
        var screenshots = Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "screenshots")).FullName;
        var before = Path.Combine(screenshots, "dashboard-dead-letter.png");
        await browser.ScreenshotAsync(before);
        output.WriteLine("screenshot with the dead letter: " + before);

        downstream.Succeed = true;
        await browser.ClickAsync(deadRow + " button.replay");

        // The replay re-queues the pair, the dispatcher runs it, and the page shows the event done.
        await browser.WaitForAsync("document.querySelector(\"#event-rows tr[data-webhook-id='msg_dashboard']\")?.dataset.status === 'done'",
            TimeSpan.FromSeconds(20));
        await browser.WaitForAsync($"!document.querySelector(\"{deadRow}\")", TimeSpan.FromSeconds(10));
        Assert.Equal(2, downstream.Calls);
        Assert.Contains("Re-queued 1 handler run", (string?)await browser.EvaluateAsync("document.getElementById('message').textContent") ?? "",
            StringComparison.Ordinal);
        var after = Path.Combine(screenshots, "dashboard-replayed.png");
        await browser.ScreenshotAsync(after);
        output.WriteLine("screenshot after the replay: " + after);
        Assert.True(new FileInfo(after).Length > 10_000);
    }

    [Fact]
    public async Task Without_an_admin_key_there_is_no_dashboard()
    {
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path);
        using var client = receiver.Start();
        using var page = await client.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        using var script = await client.GetAsync("/admin/dashboard.js");
        Assert.Equal(HttpStatusCode.NotFound, script.StatusCode);
    }

    static async Task WaitForStatusAsync(HttpClient client, string webhookId, string status)
    {
        var last = "";
        await Eventually.UntilAsync(async () =>
        {
            using var response = await client.GetAsync($"/admin/events/static/{webhookId}");
            last = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode && (string?)JsonNode.Parse(last)!["status"] == status;
        }, () => $"{webhookId} reaches status {status}: {last}", TimeSpan.FromSeconds(15));
    }
}
