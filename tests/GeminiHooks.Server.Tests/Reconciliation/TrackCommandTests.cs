namespace GeminiHooks.Server.Tests.Reconciliation;

/// <summary><c>geminihooks track</c> and <c>geminihooks jobs</c> against the real receiver's operator API.</summary>
public class TrackCommandTests
{
    const string AdminKey = "track-admin-key-0123456789-01234";

    static async Task<(int Exit, string Out, string Err)> CliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await GeminiHooks.Cli.Program.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Track_list_and_untrack_a_job_and_every_refusal_is_one_line()
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path, new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = AdminKey });
        using var client = receiver.Start();
        var url = client.BaseAddress!.ToString();

        var tracked = await CliAsync("track", "batches/t1", "--receiver", url, "--admin-key", AdminKey);
        Assert.Equal(0, tracked.Exit);
        Assert.StartsWith("tracking: batches/t1", tracked.Out, StringComparison.Ordinal);
        var again = await CliAsync("track", "batches/t1", "--receiver", url, "--admin-key", AdminKey);
        Assert.StartsWith("already tracked: batches/t1", again.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await CliAsync("track", "models/veo-3/operations/op9", "--receiver", url, "--admin-key", AdminKey)).Exit);

        var list = await CliAsync("jobs", "list", "--receiver", url, "--admin-key", AdminKey);
        Assert.Equal(0, list.Exit);
        Assert.Contains("batches/t1", list.Out, StringComparison.Ordinal);
        Assert.Contains("models/veo-3/operations/op9", list.Out, StringComparison.Ordinal);

        var bad = await CliAsync("track", "files/nope", "--receiver", url, "--admin-key", AdminKey);
        Assert.Equal(1, bad.Exit);
        Assert.StartsWith("error: the receiver answered 400", bad.Err, StringComparison.Ordinal);
        var wrongKey = await CliAsync("jobs", "list", "--receiver", url, "--admin-key", "not-the-key");
        Assert.Equal(1, wrongKey.Exit);
        Assert.Contains("401", wrongKey.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-key", wrongKey.Err, StringComparison.Ordinal);

        Assert.Equal(0, (await CliAsync("jobs", "untrack", "models/veo-3/operations/op9", "--receiver", url, "--admin-key", AdminKey)).Exit);
        var missing = await CliAsync("jobs", "untrack", "models/veo-3/operations/op9", "--receiver", url, "--admin-key", AdminKey);
        Assert.Equal(1, missing.Exit);
        Assert.Contains("404", missing.Err, StringComparison.Ordinal);
        var after = await CliAsync("jobs", "list", "--receiver", url, "--admin-key", AdminKey);
        Assert.Contains("batches/t1", after.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("op9", after.Out, StringComparison.Ordinal);
    }
}
