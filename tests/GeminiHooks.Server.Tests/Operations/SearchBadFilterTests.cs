using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>Bad search and replay filters on the real server (Kestrel's own limits included), through the API and the CLI.</summary>
public class SearchBadFilterTests
{
    const string AdminKey = "search-bad-filter-key-0123456789ab";
    static readonly string TenKilobytes = new('x', 10 * 1024);

    [Theory]
    [InlineData("colour", "red", "colour is not a filter")]
    [InlineData("from", "yesterday", "from must be an RFC 3339 time")]
    [InlineData("to", "2026-13-01T00:00:00Z", "to must be an RFC 3339 time")]
    [InlineData("meta.", "x", "meta. needs a key")]
    [InlineData("meta.team", "10KB", "meta.team is longer than 1024 bytes")]
    [InlineData("job", "10KB", "job is longer than 1024 bytes")]
    [InlineData("q", "10KB", "q is longer than 1024 bytes")]
    public async Task A_bad_filter_is_400_naming_its_key_in_a_search_a_replay_and_the_cli(string key, string value, string problem)
    {
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = AdminKey });
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        if (value == "10KB")
            value = TenKilobytes;

        using (var search = await client.GetAsync($"/admin/events?{key}={Uri.EscapeDataString(value)}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, search.StatusCode);
            Assert.Equal("application/problem+json", search.Content.Headers.ContentType?.MediaType);
            using var body = JsonDocument.Parse(await search.Content.ReadAsStringAsync());
            Assert.StartsWith(problem, body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        var filter = new Dictionary<string, string> { [key] = value };
        foreach (var dryRun in new[] { true, false })
        {
            using var content = new StringContent(JsonSerializer.Serialize(new { filter, dry_run = dryRun }), Encoding.UTF8, "application/json");
            using var replay = await client.PostAsync("/admin/replays", content);
            Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
            using var body = JsonDocument.Parse(await replay.Content.ReadAsStringAsync());
            Assert.StartsWith("filter." + problem, body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await GeminiHooks.Cli.Program.RunAsync(
            ["events", "search", $"{key}={value}", "--receiver", client.BaseAddress!.ToString(), "--admin-key", AdminKey], output, error);
        Assert.NotEqual(0, exit);
        Assert.Contains(problem, error.ToString(), StringComparison.Ordinal);
        Assert.Equal("", output.ToString());
    }
}
