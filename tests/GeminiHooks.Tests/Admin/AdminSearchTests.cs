using System.Net;
using System.Text.Json;

namespace GeminiHooks.Tests.Admin;

/// <summary>Search through the real admin API: every filter as a query key, paging, and a 400 naming each bad key.</summary>
public class AdminSearchTests
{
    static readonly Dictionary<string, string?> WithAdmin = new() { ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey };

    static async Task<(HttpStatusCode Status, JsonDocument Body)> GetAsync(TestHost host, string path)
    {
        using var request = host.AdminRequest(HttpMethod.Get, path);
        using var response = await host.Client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    static async Task<List<string>> IdsAsync(TestHost host, string query)
    {
        var (status, body) = await GetAsync(host, "/admin/events?" + query);
        using (body)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            return body.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("webhook_id").GetString()!).ToList();
        }
    }

    static string Body(string type, string dataId, string meta, string note) =>
        $$"""{"type":"{{type}}","data":{"id":"{{dataId}}"},"user_metadata":{{meta}},"note":"{{note}}"}""";

    [Fact]
    public async Task Every_filter_is_a_query_key_and_they_combine()
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, WithAdmin);
        var before = host.Time.GetUtcNow();
        await host.AcceptAsync("batch.succeeded", Body("batch.succeeded", "batches/abc1", """{"team":"red"}""", "all good"), "s1");
        await host.AcceptAsync("batch.failed", Body("batch.failed", "abc2", """{"team":"blue"}""", "quota exceeded"), "s2");
        await host.AcceptAsync("video.generated", Body("video.generated", "operations/v9", """{"team":"red","env":"prod"}""", "done"), "s3");

        Assert.Equal(["s3", "s2", "s1"], await IdsAsync(host, ""));
        Assert.Equal(["s1"], await IdsAsync(host, "job=abc1"));
        Assert.Equal(["s1"], await IdsAsync(host, "job=batches%2Fabc1"));
        Assert.Equal(["s2", "s1"], await IdsAsync(host, "type=batch.*"));
        Assert.Equal(["s2"], await IdsAsync(host, "type=batch.failed"));
        Assert.Equal(["s3", "s1"], await IdsAsync(host, "meta.team=red"));
        Assert.Equal(["s3"], await IdsAsync(host, "meta.team=red&meta.env=prod"));
        Assert.Equal(["s2"], await IdsAsync(host, "q=quota"));
        Assert.Equal(["s3", "s2", "s1"], await IdsAsync(host, "endpoint=" + TestHost.Endpoint));
        Assert.Empty(await IdsAsync(host, "endpoint=reconciled"));
        Assert.Equal(["s3", "s2", "s1"], await IdsAsync(host, "from=" + Uri.EscapeDataString(before.ToString("O"))));
        Assert.Empty(await IdsAsync(host, "to=" + Uri.EscapeDataString(before.ToString("O"))));
        Assert.Empty(await IdsAsync(host, "handler=nobody"));
        Assert.Empty(await IdsAsync(host, "handler_status=dead"));
        Assert.Equal(["s1"], await IdsAsync(host, "type=batch.*&meta.team=red&q=good&status=" + (await StatusOfAsync(host, "s1"))));

        // Paging keeps the filter: one at a time, every match once.
        var (_, first) = await GetAsync(host, "/admin/events?type=batch.*&limit=1");
        using (first)
        {
            Assert.Equal("s2", first.RootElement.GetProperty("events")[0].GetProperty("webhook_id").GetString());
            var cursor = first.RootElement.GetProperty("next_cursor").GetString();
            Assert.Equal(["s1"], await IdsAsync(host, "type=batch.*&limit=1&cursor=" + cursor));
        }
    }

    static async Task<string> StatusOfAsync(TestHost host, string webhookId) =>
        (await host.Store.GetEventAsync(TestHost.Endpoint, webhookId, CancellationToken.None))!.Status;

    [Theory]
    [InlineData("colour=red", "colour")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-01-01", "to")]
    [InlineData("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("meta.=x", "meta.")]
    [InlineData("status=weird", "status")]
    [InlineData("endpoint=elsewhere", "endpoint")]
    [InlineData("handler_status=sleeping", "handler_status")]
    [InlineData("job=1&job=2", "job")]
    [InlineData("q=", "q")]
    [InlineData("limit=0", "limit")]
    [InlineData("cursor=abc", "cursor")]
    public async Task A_bad_filter_is_400_naming_its_key(string query, string key)
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, WithAdmin);
        var (status, body) = await GetAsync(host, "/admin/events?" + query);
        using (body)
        {
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.StartsWith(key, body.RootElement.GetProperty("detail").GetString());
        }
    }

    [Theory]
    [InlineData("q")]
    [InlineData("meta.team")]
    [InlineData("job")]
    public async Task A_value_over_1_KB_is_400_naming_its_key(string key)
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, WithAdmin);
        var (status, body) = await GetAsync(host, $"/admin/events?{key}={new string('x', 1025)}");
        using (body)
        {
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.StartsWith(key + " is longer than 1024 bytes", body.RootElement.GetProperty("detail").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(host, $"/admin/events?{key}={new string('x', 1024)}")).Status);
    }
}
