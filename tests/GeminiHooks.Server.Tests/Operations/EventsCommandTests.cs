using System.Net;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary><c>geminihooks events search|replay</c> against the real receiver, fed real signed deliveries.</summary>
public class EventsCommandTests
{
    const string AdminKey = "events-admin-key-0123456789abcdef";

    static async Task<(int Exit, string Out, string Err)> CliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await GeminiHooks.Cli.Program.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Search_and_replay_by_filter_and_a_bad_filter_is_one_line_naming_it()
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path, new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = AdminKey });
        using var client = receiver.Start();
        var url = client.BaseAddress!.ToString();
        foreach (var (id, type, job) in new[] { ("msg_a", "batch.succeeded", "batches/a1"), ("msg_b", "batch.failed", "batches/b2"),
            ("msg_c", "video.generated", "operations/c3") })
        {
            using var delivered = await client.SendAsync(receiver.SignedStatic(id, Receiver.Event(type, job)));
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        }
        string[] Admin(params string[] args) => [.. args, "--receiver", url, "--admin-key", AdminKey];

        var byJob = await CliAsync(Admin("events", "search", "job=b2"));
        Assert.Equal(0, byJob.Exit);
        var line = Assert.Single(byJob.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("batch.failed", line, StringComparison.Ordinal);
        Assert.Contains("static/msg_b", line, StringComparison.Ordinal);

        var batches = await CliAsync(Admin("events", "search", "type=batch.*", "--limit", "1"));
        Assert.Contains("msg_b", batches.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("msg_a", batches.Out, StringComparison.Ordinal);
        Assert.Contains("more: --cursor ", batches.Out, StringComparison.Ordinal);
        Assert.StartsWith("no events match", (await CliAsync(Admin("events", "search", "job=zz9"))).Out, StringComparison.Ordinal);

        var dry = await CliAsync(Admin("events", "replay", "type=batch.*", "--dry-run"));
        Assert.Equal(0, dry.Exit);
        Assert.StartsWith("2 events match (dry run", dry.Out, StringComparison.Ordinal);
        var unasked = await CliAsync(Admin("events", "replay", "type=batch.*"));
        Assert.Equal(1, unasked.Exit);
        Assert.Contains("--yes", unasked.Err, StringComparison.Ordinal);
        var started = await CliAsync(Admin("events", "replay", "type=batch.*", "--yes"));
        Assert.Equal(0, started.Exit);
        Assert.Matches("^replay [0-9a-f]{32} started: 2 events\\n", started.Out.ReplaceLineEndings("\n"));
        Assert.Matches("replay [0-9a-f]{32} done: 2 of 2 events queued", started.Out);
        Assert.Contains(" queued, ", started.Err, StringComparison.Ordinal); // the progress line

        var json = await CliAsync(Admin("events", "search", "job=b2", "--json"));
        Assert.Equal(0, json.Exit);
        var page = System.Text.Json.Nodes.JsonNode.Parse(json.Out)!;
        Assert.Equal("msg_b", (string?)Assert.Single(page["events"]!.AsArray())!["webhook_id"]);

        var bad = await CliAsync(Admin("events", "search", "colour=red"));
        Assert.Equal(1, bad.Exit);
        Assert.StartsWith("error: the receiver answered 400: colour is not a filter", bad.Err, StringComparison.Ordinal);
        var badReplay = await CliAsync(Admin("events", "replay", "from=yesterday", "--dry-run"));
        Assert.Equal(1, badReplay.Exit);
        Assert.Contains("filter.from", badReplay.Err, StringComparison.Ordinal);
        var notPair = await CliAsync(Admin("events", "search", "job"));
        Assert.Equal(1, notPair.Exit);
        Assert.Contains("KEY=VALUE", notPair.Err, StringComparison.Ordinal);
    }
}
