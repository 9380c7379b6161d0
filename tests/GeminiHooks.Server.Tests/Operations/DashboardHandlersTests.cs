using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>The dashboard's Handlers section in a real (headless) browser, against the real server.</summary>
public class DashboardHandlersTests(ITestOutputHelper output)
{
    const string AdminKey = "dashboard-admin-key-5f1d2c-01234";

    [Fact]
    public async Task The_pause_button_holds_a_handlers_runs_and_resume_lets_them_run()
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
            ["GeminiHooks:Handlers:forward:RateLimit:PerSecond"] = "10",
            ["GeminiHooks:Handlers:forward:RateLimit:Burst"] = "5",
            ["GeminiHooks:Handlers:archive:Type"] = "log",
        });
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        await using var browser = await Chromium.LaunchAsync();
        await browser.NavigateAsync(new Uri(client.BaseAddress!, "/admin").ToString());
        await browser.EvaluateAsync($"document.getElementById('key').value = '{AdminKey}'; document.getElementById('key-form').requestSubmit()");
        const string row = "#handler-rows tr[data-handler='forward']";
        // Clicks land by position: the sections above must have drawn (the page's first refresh) before one.
        await browser.WaitForAsync("document.body.dataset.loaded === 'true'", TimeSpan.FromSeconds(15));
        await browser.WaitForAsync($"document.querySelector(\"{row}\")?.dataset.state === 'active'", TimeSpan.FromSeconds(15));
        var text = (string?)await browser.EvaluateAsync($"document.querySelector(\"{row}\").innerText") ?? "";
        Assert.Contains("attempts 10, concurrency 32, 10/s (burst 5)", text, StringComparison.Ordinal);
        Assert.Equal("Pause", (string?)await browser.EvaluateAsync($"document.querySelector(\"{row} button.handler-action\").textContent"));

        // Pause: the store says paused, and a new event waits for forward while archive runs it.
        await browser.ClickAsync(row + " button.handler-action");
        await browser.WaitForAsync($"document.querySelector(\"{row}\")?.dataset.state === 'paused'", TimeSpan.FromSeconds(10));
        Assert.Equal("paused", await StateAsync(client, "forward"));
        Assert.Contains("paused on every replica", (string?)await browser.EvaluateAsync("document.getElementById('message').textContent") ?? "",
            StringComparison.Ordinal);
        using (var delivered = await client.SendAsync(receiver.SignedStatic("msg_paused", Receiver.Event())))
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        await Eventually.UntilAsync(async () => await PendingAsync(client, "forward") == 1 && await PendingAsync(client, "archive") == 0,
            "archive ran the event, forward holds it");
        // Clicks land by position: wait for the event's row above the section, so nothing moves under the pointer.
        await browser.WaitForAsync("document.querySelector(\"#event-rows tr[data-webhook-id='msg_paused']\")", TimeSpan.FromSeconds(15));
        await browser.ClickAsync("#handlers-refresh");
        await browser.WaitForAsync($"document.querySelector(\"{row}\").children[3].textContent === '1'", TimeSpan.FromSeconds(10));
        Assert.Equal(0, downstream.Calls);
        Assert.Equal("Resume", (string?)await browser.EvaluateAsync($"document.querySelector(\"{row} button.handler-action\").textContent"));
        var screenshots = Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "screenshots")).FullName;
        var paused = Path.Combine(screenshots, "dashboard-handler-paused.png");
        await browser.ScreenshotAsync(paused);
        output.WriteLine("screenshot with forward paused: " + paused);

        // Resume: the waiting run goes through, nothing was dead-lettered.
        await browser.ClickAsync(row + " button.handler-action");
        await browser.WaitForAsync($"document.querySelector(\"{row}\")?.dataset.state === 'active'", TimeSpan.FromSeconds(10));
        await Eventually.UntilAsync(() => downstream.Calls == 1, "forward runs the held event after the resume");
        await browser.WaitForAsync($"document.querySelector(\"{row}\").children[3].textContent === '0'", TimeSpan.FromSeconds(15));
        Assert.Equal("0", (string?)await browser.EvaluateAsync($"document.querySelector(\"{row}\").children[5].textContent"));
    }

    static async Task<JsonObject> HandlerAsync(HttpClient client, string name) =>
        JsonNode.Parse(await client.GetStringAsync("/admin/handlers"))!["handlers"]!.AsArray()
            .Single(h => (string?)h!["name"] == name)!.AsObject();

    static async Task<string?> StateAsync(HttpClient client, string name) => (string?)(await HandlerAsync(client, name))["state"];

    static async Task<long> PendingAsync(HttpClient client, string name) => (long)(await HandlerAsync(client, name))["pending"]!;
}
