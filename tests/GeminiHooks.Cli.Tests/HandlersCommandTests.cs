using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using GeminiHooks.Cli.Tests.Infrastructure;
using GeminiHooks.Events;
using GeminiHooks.Handlers;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Cli.Tests;

/// <summary><c>geminihooks handlers list|pause|resume</c> against a running receiver (real HTTP, a real SQLite file).</summary>
public class HandlersCommandTests
{
    [Fact]
    public async Task Pause_holds_a_handlers_runs_list_shows_it_and_resume_lets_them_run()
    {
        using var dir = new TempDirectory();
        var runs = new Runs();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
            ["GeminiHooks:Handlers:audit:Type"] = "log",
            ["GeminiHooks:Handlers:audit:RateLimit:PerSecond"] = "50",
        }, hooks => hooks.AddHandler<CountingHandler>("billing", h => h.Retry.MaxAttempts = 3),
            services => services.AddSingleton(runs), time: TimeProvider.System);
        string[] receiver = ["--receiver", host.Client.BaseAddress!.ToString(), "--admin-key", TestHost.AdminKey];

        var list = await CliRunner.RunAsync(["handlers", "list", .. receiver]);
        Assert.Equal(0, list.ExitCode);
        var lines = list.Out.TrimEnd().Split('\n');
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^audit\s+log\s+active\s+0\s+0\s+0\s+attempts 10, concurrency 32, 50/s\s+-$", lines[1].TrimEnd());
        Assert.Matches(@"^billing\s+code\s+active\s+0\s+0\s+0\s+attempts 3, concurrency 32\s+-$", lines[2].TrimEnd());

        var paused = await CliRunner.RunAsync(["handlers", "pause", "billing", .. receiver]);
        Assert.Equal(0, paused.ExitCode);
        Assert.Equal("billing: paused", paused.Out.Trim());
        for (var i = 0; i < 3; i++)
            await host.AcceptAsync("batch.succeeded");
        // The other handler runs them all; the paused one none.
        await Eventually.UntilAsync(async () => (await host.Store.CountAsync(CancellationToken.None)).Succeeded == 3, "audit runs the three");
        await Task.Delay(300);
        Assert.Equal(0, runs.Count);

        var json = await CliRunner.RunAsync(["handlers", "list", "--json", .. receiver]);
        Assert.Equal(0, json.ExitCode);
        using (var document = JsonDocument.Parse(json.Out))
        {
            var billing = document.RootElement.GetProperty("handlers").EnumerateArray().Single(h => h.GetProperty("name").GetString() == "billing");
            Assert.Equal("paused", billing.GetProperty("state").GetString());
            Assert.Equal(3, billing.GetProperty("pending").GetInt32());
            Assert.True(billing.TryGetProperty("paused_at", out _));
        }
        var table = await CliRunner.RunAsync(["handlers", "list", .. receiver]);
        Assert.Matches(@"(?m)^billing\s+code\s+paused\s+3\s+0\s+0\s", table.Out);

        var resumed = await CliRunner.RunAsync(["handlers", "resume", "billing", .. receiver]);
        Assert.Equal(0, resumed.ExitCode);
        Assert.Equal("billing: active", resumed.Out.Trim());
        await Eventually.UntilAsync(() => runs.Count == 3, "the three waiting runs go through after the resume");
        // A run is recorded as done just after its handler returns, so the list may still count it for a moment.
        var after = "";
        await Eventually.UntilAsync(async () =>
        {
            after = (await CliRunner.RunAsync(["handlers", "list", .. receiver])).Out;
            return Regex.IsMatch(after, @"(?m)^billing\s+code\s+active\s+0\s+0\s+0\s");
        }, () => $"billing listed as active with nothing pending, running or dead; the last list:\n{after}");
    }

    [Fact]
    public async Task An_unknown_handler_a_wrong_key_and_no_key_are_one_line_errors()
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
            ["GeminiHooks:Handlers:audit:Type"] = "log",
        }, time: TimeProvider.System);
        var url = host.Client.BaseAddress!.ToString();

        var unknown = await CliRunner.RunAsync("handlers", "pause", "audti", "--receiver", url, "--admin-key", TestHost.AdminKey);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("error: the receiver answered 404: No handler has this name.", unknown.Err.Trim());

        var wrongKey = await CliRunner.RunAsync("handlers", "list", "--receiver", url, "--admin-key", "not-the-admin-key-0123456789-0123");
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.StartsWith("error: the receiver answered 401", wrongKey.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-admin-key", wrongKey.Err, StringComparison.Ordinal);

        var noKey = await CliRunner.RunAsync("handlers", "resume", "audit", "--receiver", url);
        Assert.Equal(1, noKey.ExitCode);
        Assert.Contains("admin key is required", noKey.Err, StringComparison.Ordinal);
    }
}

sealed class Runs
{
    readonly ConcurrentQueue<string> _ids = new();
    public int Count => _ids.Count;
    public void Add(string id) => _ids.Enqueue(id);
}

sealed class CountingHandler(Runs runs) : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
    {
        runs.Add(@event.Delivery.WebhookId);
        return Task.CompletedTask;
    }
}
