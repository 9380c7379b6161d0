using System.Net;
using System.Text.Json;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Tests.Admin;

public class AdminApiTests
{
    [Fact]
    public async Task Without_a_key_the_admin_api_does_not_exist()
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir);
        using var list = host.AdminRequest(HttpMethod.Get, "/admin/events");
        using var response = await host.Client.SendAsync(list);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var replay = host.AdminRequest(HttpMethod.Post, "/admin/dead-letters/replay");
        using var replayResponse = await host.Client.SendAsync(replay);
        Assert.Equal(HttpStatusCode.NotFound, replayResponse.StatusCode);
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("test-admin-key-0123456789-01234")] // a prefix of the right one
    [InlineData(null)]
    public async Task A_wrong_or_missing_key_is_401_problem_details(string? key)
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey });
        using var request = host.AdminRequest(HttpMethod.Get, "/admin/events", key);
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task List_filters_pages_shows_and_replays()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
            ["GeminiHooks:Dispatch:MaxAttempts"] = "1",
        }, hooks => hooks.AddHandler<SteadyHandler>("steady").AddHandler<FlakyHandler>("flaky"),
            services => services.AddSingleton(recorder));

        var ids = new List<string>();
        foreach (var type in new[] { "batch.failed", "batch.succeeded", "batch.failed", "interaction.completed", "batch.failed" })
            ids.Add(await host.AcceptAsync(type));
        await Eventually.UntilAsync(async () => (await host.Store.CountAsync(CancellationToken.None)) is { Pending: 0, Running: 0 }, "all ran");

        // Paging: newest first, two at a time.
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            using var page = await GetJsonAsync(host, "/admin/events?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            var events = page.RootElement.GetProperty("events").EnumerateArray().ToList();
            Assert.InRange(events.Count, 1, 2);
            seen.AddRange(events.Select(e => e.GetProperty("webhook_id").GetString()!));
            Assert.All(events, e => Assert.False(e.TryGetProperty("body", out _)));
            cursor = page.RootElement.TryGetProperty("next_cursor", out var next) ? next.GetString() : null;
        } while (cursor is not null);
        Assert.Equal(Enumerable.Reverse(ids), seen);

        using (var failed = await GetJsonAsync(host, "/admin/events?type=batch.failed"))
            Assert.Equal(3, failed.RootElement.GetProperty("events").GetArrayLength());
        using (var dead = await GetJsonAsync(host, "/admin/events?status=dead"))
        {
            var deadEvent = Assert.Single(dead.RootElement.GetProperty("events").EnumerateArray());
            Assert.Equal(ids[1], deadEvent.GetProperty("webhook_id").GetString());
            var flaky = deadEvent.GetProperty("handlers").EnumerateArray().Single(h => h.GetProperty("handler").GetString() == "flaky");
            Assert.Equal("dead", flaky.GetProperty("status").GetString());
            Assert.Equal(1, flaky.GetProperty("attempts").GetInt32());
            Assert.Contains("downstream is down", flaky.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        }
        using (var done = await GetJsonAsync(host, "/admin/events?status=done&type=batch.failed"))
            Assert.Equal(3, done.RootElement.GetProperty("events").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, HttpMethod.Get, "/admin/events?status=weird"));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, HttpMethod.Get, "/admin/events?limit=0"));

        // Show: the event with its body as JSON.
        using (var shown = await GetJsonAsync(host, $"/admin/events/{TestHost.Endpoint}/{ids[3]}"))
        {
            Assert.Equal("interaction.completed", shown.RootElement.GetProperty("type").GetString());
            Assert.Equal("interaction.completed", shown.RootElement.GetProperty("body").GetProperty("type").GetString());
            Assert.Equal("steady", Assert.Single(shown.RootElement.GetProperty("handlers").EnumerateArray()).GetProperty("handler").GetString());
        }
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(host, HttpMethod.Get, $"/admin/events/{TestHost.Endpoint}/msg_nope"));

        // Replay of one event to all its handlers, and the errors.
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(host, HttpMethod.Post, $"/admin/events/{TestHost.Endpoint}/msg_nope/replay"));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, HttpMethod.Post, $"/admin/events/{TestHost.Endpoint}/{ids[0]}/replay?handler=nobody"));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(host, HttpMethod.Post, $"/admin/events/{TestHost.Endpoint}/{ids[0]}/replay?handler=flaky"));
        using (var replayed = await PostJsonAsync(host, $"/admin/events/{TestHost.Endpoint}/{ids[0]}/replay"))
            Assert.Equal(1, replayed.RootElement.GetProperty("queued").GetInt32());
        await Eventually.UntilAsync(() => recorder.CallsOf("steady") == 6, "the replayed event ran again");

        // Dead letters: only the matching type is re-queued.
        recorder.Failing = false;
        using (var none = await PostJsonAsync(host, "/admin/dead-letters/replay?type=batch.failed"))
            Assert.Equal(0, none.RootElement.GetProperty("queued").GetInt32());
        using (var all = await PostJsonAsync(host, "/admin/dead-letters/replay"))
            Assert.Equal(1, all.RootElement.GetProperty("queued").GetInt32());
        await Eventually.UntilAsync(async () => (await host.RunAsync(ids[1], "flaky"))?.Status == RunStatus.Succeeded, "the dead letter recovered");
        Assert.Equal(6, recorder.CallsOf("steady"));
    }

    static async Task<JsonDocument> GetJsonAsync(TestHost host, string path)
    {
        using var request = host.AdminRequest(HttpMethod.Get, path);
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    static async Task<JsonDocument> PostJsonAsync(TestHost host, string path)
    {
        using var request = host.AdminRequest(HttpMethod.Post, path);
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    static async Task<HttpStatusCode> StatusAsync(TestHost host, HttpMethod method, string path)
    {
        using var request = host.AdminRequest(method, path);
        using var response = await host.Client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return response.StatusCode;
    }
}
