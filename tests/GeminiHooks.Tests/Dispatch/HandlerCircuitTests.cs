using System.Text.Json;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Tests.Dispatch;

/// <summary>The circuit breaker as the dispatcher drives it, on the fake clock.</summary>
public class HandlerCircuitTests
{
    [Fact]
    public async Task The_circuit_opens_after_the_threshold_spends_no_attempts_while_open_probes_once_and_closes()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
            // One pair per claim and one run at a time, so the runs happen in a known order.
            ["GeminiHooks:Dispatch:Concurrency"] = "1",
            ["GeminiHooks:Dispatch:BatchSize"] = "1",
            ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:01",
            ["GeminiHooks:Dispatch:RetryMaxDelay"] = "00:00:01",
        }, hooks => hooks.AddHandler<FlakyHandler>("flaky", h =>
        {
            h.CircuitBreaker.FailureThreshold = 3;
            h.CircuitBreaker.BreakDuration = TimeSpan.FromMinutes(1);
        }), services => services.AddSingleton(recorder));
        var time = host.FakeTime;
        var start = time.GetUtcNow();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
            ids.Add(await host.AcceptAsync("batch.succeeded"));

        // t = 0: three failures in a row open the circuit; the other two pairs are not even tried.
        await Eventually.UntilAsync(async () => await StateAsync(host) == "open", "the circuit opens");
        Assert.Equal(3, recorder.CallsOf("flaky"));
        var attempts = await AttemptsAsync(host, ids);
        Assert.Equal([0, 0, 1, 1, 1], attempts.Order());

        // t = 0 … 55 s: the retries fall due after a second, but nothing runs and no attempt is spent.
        for (var step = 0; step < 11; step++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(60);
        }
        Assert.Equal(3, recorder.CallsOf("flaky"));
        Assert.Equal(attempts.Order(), (await AttemptsAsync(host, ids)).Order());

        // t = 60 s: the break is over; exactly one probe runs, fails, and the circuit opens again.
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => Task.FromResult(recorder.CallsOf("flaky") == 4),
            "the probe runs");
        Assert.True(time.GetUtcNow() >= start + TimeSpan.FromMinutes(1));
        await Eventually.UntilAsync(async () => await StateAsync(host) == "open", "the failed probe opens the circuit again");
        for (var step = 0; step < 10; step++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(60);
        }
        Assert.Equal(4, recorder.CallsOf("flaky"));

        // The downstream recovers: the next probe succeeds, the circuit closes and every pair runs; none is dead.
        recorder.Failing = false;
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), async () =>
        {
            foreach (var id in ids)
                if ((await host.RunAsync(id, "flaky"))?.Status != RunStatus.Succeeded)
                    return false;
            return true;
        }, "every pair succeeds");
        Assert.Equal("active", await StateAsync(host));
        Assert.Equal(9, recorder.CallsOf("flaky")); // 3 failures, a failed probe, a good probe, the 4 others
        Assert.Equal(0, (await host.Store.CountAsync(CancellationToken.None)).Dead);
    }

    static async Task<string?> StateAsync(TestHost host)
    {
        using var response = await host.Client.SendAsync(host.AdminRequest(HttpMethod.Get, "/admin/handlers"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var handler = json.RootElement.GetProperty("handlers")[0];
        Assert.Equal(3, handler.GetProperty("circuit_breaker").GetProperty("failure_threshold").GetInt32());
        return handler.GetProperty("state").GetString();
    }

    static async Task<List<int>> AttemptsAsync(TestHost host, IEnumerable<string> ids)
    {
        var attempts = new List<int>();
        foreach (var id in ids)
            attempts.Add((await host.RunAsync(id, "flaky"))!.Attempts);
        return attempts;
    }
}
