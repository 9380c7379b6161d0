using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Tests.Admin;

/// <summary>Bulk replay by filter through the real admin API and the real background worker.</summary>
public class AdminReplayTests
{
    static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(TestHost host, HttpMethod method, string path, string? json = null)
    {
        using var request = host.AdminRequest(method, path);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await host.Client.SendAsync(request);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, document.RootElement.Clone());
    }

    static Task<TestHost> StartAsync(TempDirectory dir, Recorder recorder) => TestHost.StartAsync(dir,
        new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey },
        hooks => hooks.AddHandler<SteadyHandler>("steady").AddHandler<SteadyHandler>("other"),
        services => services.AddSingleton(recorder));

    [Fact]
    public async Task A_dry_run_counts_what_the_replay_then_queues_to_the_named_handler()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        await using var host = await StartAsync(dir, recorder);
        foreach (var type in new[] { "batch.failed", "video.generated", "batch.succeeded", "batch.failed" })
            await host.AcceptAsync(type);
        await Eventually.UntilAsync(() => Task.FromResult(recorder.CallsOf("steady") == 4 && recorder.CallsOf("other") == 4), "first runs");

        const string Filter = """{"filter": {"type": "batch.*"}, "handlers": ["steady"]""";
        var (dryStatus, dry) = await SendAsync(host, HttpMethod.Post, "/admin/replays", Filter + """, "dry_run": true}""");
        Assert.Equal(HttpStatusCode.OK, dryStatus);
        Assert.Equal(3, dry.GetProperty("matched").GetInt64());
        Assert.False(dry.TryGetProperty("id", out _));

        var (status, started) = await SendAsync(host, HttpMethod.Post, "/admin/replays", Filter + "}");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(3, started.GetProperty("matched").GetInt64());
        var id = started.GetProperty("id").GetString();
        JsonElement progress = default;
        await Eventually.UntilAsync(async () =>
        {
            (_, progress) = await SendAsync(host, HttpMethod.Get, $"/admin/replays/{id}");
            return progress.GetProperty("status").GetString() == "done";
        }, "the replay finished");
        Assert.Equal(3, progress.GetProperty("enqueued").GetInt64());
        Assert.Equal(3, progress.GetProperty("matched").GetInt64());
        Assert.False(string.IsNullOrEmpty(progress.GetProperty("requested_by").GetString())); // the audit record: who
        Assert.True(progress.GetProperty("created_at").GetDateTimeOffset() <= host.Time.GetUtcNow()); // and when
        await Eventually.UntilAsync(() => Task.FromResult(recorder.CallsOf("steady") == 7), "replayed runs");
        Assert.Equal(4, recorder.CallsOf("other")); // not named, not replayed

        var (missing, _) = await SendAsync(host, HttpMethod.Get, "/admin/replays/0123456789abcdef");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Theory]
    [InlineData("""{"filter": {"colour": "red"}}""", "filter.colour")]
    [InlineData("""{"filter": {"from": "yesterday"}}""", "filter.from")]
    [InlineData("""{"filter": {"meta.": "x"}}""", "filter.meta.")]
    [InlineData("""{"filter": {"job": 123}}""", "filter")]
    [InlineData("""{"filter": [], "dry_run": true}""", "filter")]
    [InlineData("""{"handlers": ["nobody"]}""", "handlers")]
    [InlineData("""{"handlers": []}""", "handlers")]
    [InlineData("""{"dry_run": "yes"}""", "dry_run")]
    [InlineData("""{"filters": {}}""", "the body")]
    [InlineData("not json", "the body")]
    public async Task A_bad_replay_request_is_400_naming_its_key(string body, string key)
    {
        using var dir = new TempDirectory();
        await using var host = await StartAsync(dir, new Recorder());
        var (status, problem) = await SendAsync(host, HttpMethod.Post, "/admin/replays", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(key, problem.GetProperty("detail").GetString());
    }
}
