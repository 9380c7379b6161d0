using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Tests.Dispatch;

/// <summary>The handler state gauge and the circuit transition counter, as a real host reports them (fake clock).</summary>
public class HandlerFlowMetricsTests
{
    [Fact]
    public async Task The_state_gauge_follows_pause_and_the_circuit_and_each_transition_is_counted_once()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
            ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:01",
            ["GeminiHooks:Dispatch:RetryMaxDelay"] = "00:00:01",
            ["GeminiHooks:Handlers:audit:Type"] = "log",
        }, hooks => hooks.AddHandler<FlakyHandler>("flaky", h =>
        {
            h.CircuitBreaker.FailureThreshold = 1;
            h.CircuitBreaker.BreakDuration = TimeSpan.FromMinutes(1);
        }), services => services.AddSingleton(recorder));
        using var meter = new HandlerFlowMeter(host.App.Services.GetRequiredService<IMeterFactory>());
        var time = host.FakeTime;
        const string Transitions = "geminihooks.handler.circuit_transitions";

        // The observer reads the store every 5 s of the host's clock.
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), () => Task.FromResult(meter.State("flaky") == "active"), "flaky reads active");
        Assert.Equal("active", meter.State("audit"));

        // One failure opens the circuit: the gauge says open, and one transition to open is counted.
        await host.AcceptAsync("batch.succeeded");
        await Eventually.UntilAsync(() => recorder.CallsOf("flaky") == 1, "flaky fails once");
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), () => Task.FromResult(meter.State("flaky") == "open"), "flaky reads open");
        Assert.Equal(1, meter.Count(Transitions, "flaky", "open"));
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(50);
        }
        Assert.Equal(1, meter.Count(Transitions, "flaky", "open"));

        // A pause wins over the circuit in the gauge, as in GET /admin/handlers.
        using (var pause = await host.Client.SendAsync(host.AdminRequest(HttpMethod.Post, "/admin/handlers/audit/pause")))
            pause.EnsureSuccessStatusCode();
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), () => Task.FromResult(meter.State("audit") == "paused"), "audit reads paused");
        using (var resume = await host.Client.SendAsync(host.AdminRequest(HttpMethod.Post, "/admin/handlers/audit/resume")))
            resume.EnsureSuccessStatusCode();

        // The downstream recovers; after the break the probe succeeds and the circuit closes (through half_open).
        recorder.Failing = false;
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(5), () => Task.FromResult(meter.State("flaky") == "active" && meter.State("audit") == "active"),
            "flaky and audit read active again");
        Assert.Equal(2, recorder.CallsOf("flaky"));
        Assert.Equal(1, meter.Count(Transitions, "flaky", "open"));
        Assert.Equal(1, meter.Count(Transitions, "flaky", "half_open"));
        Assert.Equal(1, meter.Count(Transitions, "flaky", "closed"));
        Assert.Equal(0, meter.Count(Transitions, "audit", "open"));
    }
}
