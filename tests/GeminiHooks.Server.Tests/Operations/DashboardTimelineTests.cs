using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>
/// The "Last hour" charts and the event detail view of /admin in headless Chromium, after a scripted mix spread over
/// two minutes of the receiver's clock.
/// </summary>
public class DashboardTimelineTests(ITestOutputHelper output)
{
    const string AdminKey = "timeline-admin-key-0b7e1a-012345";

    /// <summary>Markup in the type and the body: the page must show it as text and run none of it.</summary>
    const string HostileType = "<svg onload=\"window.__pwned=1\">";
    const string HostileBody = """
        {"type":"<svg onload=\"window.__pwned=1\">","version":"v1","timestamp":"2026-11-23T10:00:00Z",
         "data":{"id":"batches/<img src=x onerror=window.__pwned=2>","note":"</pre><script>window.__pwned=3</script>"}}
        """;

    [Fact]
    public async Task The_last_hour_chart_shows_deliveries_and_failures_and_the_detail_view_shows_a_hostile_body_as_text()
    {
        await using var downstream = await Downstream.StartAsync();
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
            ["GeminiHooks:Dispatch:MaxAttempts"] = "2",
            ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:01",
            ["GeminiHooks:Dispatch:RetryMaxDelay"] = "00:00:02",
            ["GeminiHooks:Handlers:archive:Type"] = "log",
            ["GeminiHooks:Handlers:forward:Type"] = "http",
            ["GeminiHooks:Handlers:forward:Url"] = downstream.Url,
            ["GeminiHooks:Handlers:forward:Secret"] = Receiver.Secret,
            ["GeminiHooks:Handlers:forward:Events:0"] = "batch.failed",
        });
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        async Task Send(HttpRequestMessage request, HttpStatusCode expected)
        {
            using (request)
            using (var response = await client.SendAsync(request))
                Assert.Equal(expected, response.StatusCode);
        }

        // Minute 1: four accepted (two of them batch.failed, whose forward attempt fails and is retried), one duplicate,
        // one forged.
        await Send(receiver.SignedStatic("msg_ok_1", Receiver.Event()), HttpStatusCode.OK);
        await Send(receiver.SignedStatic("msg_hostile", HostileBody), HttpStatusCode.OK);
        await Send(receiver.SignedStatic("msg_failing_1", Receiver.Event("batch.failed")), HttpStatusCode.OK);
        await Send(receiver.SignedStatic("msg_failing_2", Receiver.Event("batch.failed")), HttpStatusCode.OK);
        await Send(receiver.SignedStatic("msg_ok_1", Receiver.Event()), HttpStatusCode.OK);
        await Send(receiver.SignedStatic("msg_forged", Receiver.Event(), secret: ServerProcess.Secret), HttpStatusCode.Unauthorized);
        await WaitForRunsAsync(client, "retried", 2);

        // Minute 2: the retries come due and fail for good (dead letters); two more accepted, one malformed.
        receiver.Time.Advance(TimeSpan.FromMinutes(1));
        await WaitForRunsAsync(client, "dead_lettered", 2);
        await Send(receiver.SignedStatic("msg_ok_2", Receiver.Event()), HttpStatusCode.OK);
        await Send(receiver.SignedStatic("msg_ok_3", Receiver.Event()), HttpStatusCode.OK);
        await Send(Receiver.Delivery("/webhooks/gemini", "msg_unsigned", receiver.Now.ToString(System.Globalization.CultureInfo.InvariantCulture), null, Receiver.Event()), HttpStatusCode.BadRequest);
        await WaitForRunsAsync(client, "succeeded", 6);

        // The chart's data needs the key like the rest of the operator API.
        using (var anonymous = await new HttpClient().GetAsync(new Uri(client.BaseAddress!, "/admin/stats/timeseries")))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        await using var browser = await Chromium.LaunchAsync();
        var origin = new Uri(client.BaseAddress!, "/");
        await browser.NavigateAsync(new Uri(origin, "/admin").ToString());
        await browser.EvaluateAsync($"document.getElementById('key').value = '{AdminKey}'; document.getElementById('key-form').requestSubmit()");
        await browser.WaitForAsync("document.getElementById('timeline').dataset.loaded === 'true'", TimeSpan.FromSeconds(15));

        // What is drawn, read back from the bars: per series, the sum of the bars and the minutes that have one.
        async Task<(long Sum, string[] Minutes)> Bars(string chart, string series)
        {
            var node = await browser.EvaluateAsync($$"""
                (() => { const bars = [...document.querySelectorAll("#{{chart}} rect[data-series='{{series}}']")];
                         return { sum: bars.reduce((s, b) => s + Number(b.dataset.count), 0), minutes: bars.map(b => b.dataset.minute) }; })()
                """);
            return ((long)node!["sum"]!, node["minutes"]!.AsArray().Select(m => (string)m!).ToArray());
        }
        async Task<string?> Legend(string chart, string series) =>
            (string?)await browser.EvaluateAsync($"document.querySelector(\"#{chart} li[data-series='{series}']\")?.textContent");

        var accepted = await Bars("chart-deliveries", "accepted");
        Assert.Equal(6, accepted.Sum);
        Assert.Equal(2, accepted.Minutes.Length); // two bars: 4 in the first minute, 2 in the second
        Assert.Equal(1, (await Bars("chart-deliveries", "duplicate")).Sum);
        Assert.Equal(2, (await Bars("chart-deliveries", "rejected")).Sum);
        Assert.Equal("accepted 6", await Legend("chart-deliveries", "accepted"));
        Assert.Equal("rejected 2", await Legend("chart-deliveries", "rejected"));

        var retried = await Bars("chart-failures", "retried");
        var dead = await Bars("chart-failures", "dead_lettered");
        Assert.Equal(2, retried.Sum);
        Assert.Equal(2, dead.Sum);
        Assert.Single(retried.Minutes.Distinct());
        Assert.Single(dead.Minutes.Distinct());
        Assert.True(string.CompareOrdinal(dead.Minutes[0], retried.Minutes[0]) > 0, "the dead letters came a minute after the retries");
        Assert.Equal("dead lettered 2", await Legend("chart-failures", "dead_lettered"));
        // The backlog line ends at the two dead letters waiting.
        Assert.Equal("2", (string?)await browser.EvaluateAsync(
            "[...document.querySelectorAll(\"#chart-backlog circle[data-series='dead']\")].pop()?.dataset.count"));
        Assert.Equal(60, (int)(await browser.EvaluateAsync("(async () => (await (await fetch('/admin/stats/timeseries', { headers: { Authorization: 'Bearer " + AdminKey + "' } })).json()).minutes.length)()"))!);

        var screenshots = Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "screenshots")).FullName;
        var timelineShot = Path.Combine(screenshots, "dashboard-last-hour.png");
        await browser.ScreenshotAsync(timelineShot);
        output.WriteLine("screenshot of the last hour: " + timelineShot);

        // The hostile event's detail: its markup is text in the page, nothing of it ran or rendered.
        await browser.ClickAsync("#event-rows button.details[data-webhook-id='msg_hostile']");
        await browser.WaitForAsync("document.getElementById('detail').open && document.getElementById('detail').dataset.webhookId === 'msg_hostile'",
            TimeSpan.FromSeconds(10));
        var body = (string?)await browser.EvaluateAsync("document.getElementById('detail-body').textContent") ?? "";
        Assert.Contains("<img src=x onerror=window.__pwned=2>", body, StringComparison.Ordinal);
        Assert.Contains("</pre><script>window.__pwned=3</script>", body, StringComparison.Ordinal);
        Assert.Contains(HostileType, (string?)await browser.EvaluateAsync("document.getElementById('detail-title').textContent") ?? "", StringComparison.Ordinal);
        Assert.Equal(0, (int)(await browser.EvaluateAsync("document.querySelectorAll('#detail img, #detail script, #detail svg, #event-rows img, #event-rows svg').length"))!);
        Assert.Equal("undefined", (string?)await browser.EvaluateAsync("typeof window.__pwned"));
        await browser.ClickAsync("#detail-close");
        await browser.WaitForAsync("!document.getElementById('detail').open", TimeSpan.FromSeconds(5));

        // A failing event's detail: each handler with its attempts and last error.
        await browser.ClickAsync("#dead-rows button.details[data-webhook-id='msg_failing_1']");
        await browser.WaitForAsync("document.getElementById('detail').dataset.webhookId === 'msg_failing_1'", TimeSpan.FromSeconds(10));
        var forward = (string?)await browser.EvaluateAsync("document.querySelector(\"#detail-handlers tr[data-handler='forward']\").innerText") ?? "";
        Assert.Contains("dead", forward, StringComparison.Ordinal);
        Assert.Contains("\t2\t", forward, StringComparison.Ordinal);
        Assert.Contains("500", forward, StringComparison.Ordinal);
        Assert.Contains("succeeded", (string?)await browser.EvaluateAsync("document.querySelector(\"#detail-handlers tr[data-handler='archive']\").innerText") ?? "",
            StringComparison.Ordinal);
        Assert.Contains("\"batch.failed\"", (string?)await browser.EvaluateAsync("document.getElementById('detail-body').textContent") ?? "", StringComparison.Ordinal);
        var detailShot = Path.Combine(screenshots, "dashboard-event-detail.png");
        await browser.ScreenshotAsync(detailShot);
        output.WriteLine("screenshot of an event's detail: " + detailShot);

        // Nothing left loopback: every request of the page went to the receiver (or was inline data).
        var requested = browser.RequestedUrls;
        Assert.Contains(requested, u => u.EndsWith("/admin/stats/timeseries", StringComparison.Ordinal));
        Assert.All(requested, u => Assert.True(
            u.StartsWith("data:", StringComparison.Ordinal) || u.StartsWith("about:", StringComparison.Ordinal) ||
            (Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.IsLoopback), "left loopback: " + u));
    }

    /// <summary>Waits until the timeline counts <paramref name="count"/> handler attempts with this outcome over the hour.</summary>
    static async Task WaitForRunsAsync(HttpClient client, string outcome, long count)
    {
        JsonNode? timeline = null;
        long total = 0;
        await Eventually.UntilAsync(async () =>
        {
            timeline = JsonNode.Parse(await client.GetStringAsync("/admin/stats/timeseries"))!;
            total = timeline["minutes"]!.AsArray().Sum(m => (long?)m!["handler_runs"]![outcome] ?? 0);
            Assert.True(total <= count, $"{outcome}: {total} handler runs, more than {count}: {timeline.ToJsonString()}");
            return total == count;
        }, () => $"{outcome}: {count} handler runs (last {total}): {timeline?.ToJsonString()}", TimeSpan.FromSeconds(20));
    }
}
