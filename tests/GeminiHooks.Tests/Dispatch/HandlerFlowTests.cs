using System.Collections.Concurrent;
using System.Diagnostics;
using GeminiHooks.Events;
using GeminiHooks.Handlers;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Tests.Dispatch;

/// <summary>Each handler at its own pace: its own retry schedule, concurrency, and a downstream's Retry-After.</summary>
public class HandlerFlowTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_handler_with_MaxAttempts_2_dead_letters_after_two_while_one_on_the_defaults_keeps_retrying()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dispatch:MaxAttempts"] = "10",
            ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:01:00",
            ["GeminiHooks:Dispatch:RetryMaxDelay"] = "00:01:00",
        }, hooks => hooks.AddHandler<FlakyHandler>("strict", h => h.Retry.MaxAttempts = 2).AddHandler<FlakyHandler>("patient"),
            services => services.AddSingleton(recorder));
        var id = await host.AcceptAsync("batch.succeeded");

        await Eventually.AdvanceUntilAsync(host.FakeTime, TimeSpan.FromSeconds(10),
            async () => (await host.RunAsync(id, "strict"))?.Status == RunStatus.Dead, "strict is dead-lettered");
        Assert.Equal(2, recorder.CallsOf("strict"));
        var patient = (await host.RunAsync(id, "patient"))!;
        Assert.Equal(RunStatus.Pending, patient.Status);

        // The default handler goes on to a third and fourth attempt; the strict one is never called again.
        await Eventually.AdvanceUntilAsync(host.FakeTime, TimeSpan.FromSeconds(10),
            () => Task.FromResult(recorder.CallsOf("patient") >= 4), "patient runs a fourth time");
        Assert.Equal(2, recorder.CallsOf("strict"));
        Assert.Equal(RunStatus.Dead, (await host.RunAsync(id, "strict"))!.Status);
        Assert.NotEqual(RunStatus.Dead, (await host.RunAsync(id, "patient"))!.Status);
    }

    [Fact]
    public async Task A_configured_handler_takes_its_own_retry_schedule_from_configuration()
    {
        using var dir = new TempDirectory();
        await using var downstream = await LoopbackServer.StartAsync(app => app.MapPost("/hook", () => Results.StatusCode(500)));
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:05",
            ["GeminiHooks:Handlers:forward:Type"] = "http",
            ["GeminiHooks:Handlers:forward:Url"] = downstream.Url("/hook"),
            ["GeminiHooks:Handlers:forward:Secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ["GeminiHooks:Handlers:forward:Retry:BaseDelay"] = "01:00:00",
            ["GeminiHooks:Handlers:forward:Retry:MaxDelay"] = "02:00:00",
        });
        var id = await host.AcceptAsync("batch.failed");
        var run = await Eventually.FindAsync(async () => await host.RunAsync(id, "forward") is { Attempts: 1, Status: RunStatus.Pending } r ? r : null,
            "the first attempt fails");
        // An hour ±20 %, not the global five seconds.
        var delay = run.NextAttemptAt - host.Time.GetUtcNow();
        Assert.InRange(delay, TimeSpan.FromMinutes(47), TimeSpan.FromMinutes(72));
    }

    [Theory]
    [InlineData("Retry:MaxAttempts", "0", "GeminiHooks:Handlers:audit:Retry:MaxAttempts must be at least 1")]
    [InlineData("Retry:BaseDelay", "00:00:00", "GeminiHooks:Handlers:audit:Retry:BaseDelay must be positive")]
    [InlineData("Retry:MaxDelay", "00:00:01", "GeminiHooks:Handlers:audit:Retry:MaxDelay must not be shorter than Retry:BaseDelay")]
    [InlineData("Concurrency", "0", "GeminiHooks:Handlers:audit:Concurrency must be between 1 and 1024")]
    [InlineData("Concurrency", "many", "GeminiHooks:Handlers:audit:Concurrency: 'many' is not a whole number")]
    [InlineData("RateLimit:PerSecond", "0", "GeminiHooks:Handlers:audit:RateLimit:PerSecond must be more than 0")]
    [InlineData("RateLimit:Burst", "0", "GeminiHooks:Handlers:audit:RateLimit:Burst must be between 1 and 10000")]
    public async Task A_bad_flow_setting_stops_the_start_naming_the_key(string key, string value, string expected)
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider();
        await using var store = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        await using var app = TestHost.Build(new Dictionary<string, string?>
        {
            ["GeminiHooks:Handlers:audit:Type"] = "log",
            ["GeminiHooks:Handlers:audit:" + key] = value,
        }, time, store);
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(expected, Assert.Single(failure.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_flow_setting_of_a_code_handler_stops_the_start_naming_the_registration()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider();
        await using var store = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        await using var app = TestHost.Build(new Dictionary<string, string?>(), time, store,
            hooks => hooks.AddHandler<SteadyHandler>("steady", h => h.Concurrency = 0));
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("AddHandler(\"steady\"):Concurrency must be between 1 and 1024", Assert.Single(failure.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_with_Concurrency_1_runs_one_at_a_time_while_another_runs_beside_it()
    {
        using var dir = new TempDirectory();
        var gate = new Gate();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?> { ["GeminiHooks:Dispatch:Concurrency"] = "8" },
            hooks => hooks.AddHandler<GatedHandler>("narrow", h => h.Concurrency = 1).AddHandler<GatedHandler>("wide"),
            services => services.AddSingleton(gate));
        for (var i = 0; i < 4; i++)
            await host.AcceptAsync("batch.succeeded");

        // Every wide run starts at once; of the narrow ones, only one.
        await Eventually.UntilAsync(() => gate.InFlight("wide") == 4, "four wide runs in flight");
        await Task.Delay(300);
        Assert.Equal(1, gate.InFlight("narrow"));
        Assert.Equal(1, gate.MaxInFlight("narrow"));

        gate.Open();
        await Eventually.UntilAsync(() => gate.Done("narrow") == 4 && gate.Done("wide") == 4, "every run finishes");
        Assert.Equal(1, gate.MaxInFlight("narrow"));
        Assert.Equal(4, gate.MaxInFlight("wide"));
    }

    [Fact]
    public async Task Http_handler_honours_Retry_After_on_503_with_real_time()
    {
        using var dir = new TempDirectory();
        var arrivals = new ConcurrentQueue<TimeSpan>();
        var clock = Stopwatch.StartNew();
        await using var downstream = await LoopbackServer.StartAsync(app => app.MapPost("/hook", (HttpContext context) =>
        {
            arrivals.Enqueue(clock.Elapsed);
            if (arrivals.Count > 1)
                return Results.Ok();
            context.Response.Headers.RetryAfter = "3";
            return Results.StatusCode(503);
        }));
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Handlers:forward:Type"] = "http",
            ["GeminiHooks:Handlers:forward:Url"] = downstream.Url("/hook"),
            ["GeminiHooks:Handlers:forward:Secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            // Without the header the retry would come after about 100 ms.
            ["GeminiHooks:Handlers:forward:Retry:BaseDelay"] = "00:00:00.100",
            ["GeminiHooks:Handlers:forward:Retry:MaxDelay"] = "00:01:00",
        }, time: TimeProvider.System);
        var id = await host.AcceptAsync("batch.succeeded");

        await Eventually.UntilAsync(async () => (await host.RunAsync(id, "forward"))?.Status == RunStatus.Succeeded,
            "the retry succeeds", TimeSpan.FromSeconds(20));
        var times = arrivals.ToArray();
        Assert.Equal(2, times.Length);
        var gap = times[1] - times[0];
        output.WriteLine($"503 with Retry-After: 3 at {times[0].TotalMilliseconds:F0} ms, retry at {times[1].TotalMilliseconds:F0} ms: {gap.TotalMilliseconds:F0} ms later");
        Assert.True(gap >= TimeSpan.FromSeconds(3), $"the retry came {gap.TotalMilliseconds} ms after the 503");
        Assert.True(gap < TimeSpan.FromSeconds(6), $"the retry came {gap.TotalMilliseconds} ms after the 503");
        var run = (await host.RunAsync(id, "forward"))!;
        Assert.Equal(2, run.Attempts);
    }

    [Fact]
    public async Task A_Retry_After_longer_than_MaxDelay_is_capped_and_one_on_a_500_is_ignored()
    {
        using var dir = new TempDirectory();
        var status = 429;
        await using var downstream = await LoopbackServer.StartAsync(app => app.MapPost("/hook", (HttpContext context) =>
        {
            context.Response.Headers.RetryAfter = "86400";
            return Results.StatusCode(status);
        }));
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Handlers:forward:Type"] = "slack",
            ["GeminiHooks:Handlers:forward:Url"] = downstream.Url("/hook"),
            ["GeminiHooks:Handlers:forward:Retry:BaseDelay"] = "00:00:01",
            ["GeminiHooks:Handlers:forward:Retry:MaxDelay"] = "00:10:00",
        });
        var id = await host.AcceptAsync("batch.succeeded");
        var first = await Eventually.FindAsync(async () => await host.RunAsync(id, "forward") is { Attempts: 1, Status: RunStatus.Pending } r ? r : null,
            "the 429 is recorded");
        Assert.Equal(TimeSpan.FromMinutes(10), first.NextAttemptAt - first.UpdatedAt);
        Assert.Contains("retry after", first.LastError, StringComparison.Ordinal);

        status = 500;
        host.FakeTime.SetUtcNow(first.NextAttemptAt);
        var second = await Eventually.FindAsync(async () => await host.RunAsync(id, "forward") is { Attempts: 2, Status: RunStatus.Pending } r ? r : null,
            "the 500 is recorded");
        // Backoff of the second attempt: 2 s ±20 %, the day-long header ignored.
        Assert.InRange(second.NextAttemptAt - second.UpdatedAt, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(2.5));
    }

    [Fact]
    public async Task Any_handler_may_throw_RetryAfterException()
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?> { ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:01" },
            hooks => hooks.AddHandler<BackPressureHandler>("bus"));
        var id = await host.AcceptAsync("batch.succeeded");
        var run = await Eventually.FindAsync(async () => await host.RunAsync(id, "bus") is { Attempts: 1, Status: RunStatus.Pending } r ? r : null,
            "the failure is recorded");
        Assert.Equal(TimeSpan.FromMinutes(7), run.NextAttemptAt - run.UpdatedAt);
        Assert.Contains("RetryAfterException", run.LastError, StringComparison.Ordinal);
    }
}

sealed class BackPressureHandler : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken) =>
        throw new RetryAfterException(TimeSpan.FromMinutes(7), "the queue is full");
}

/// <summary>Holds every run until opened, counting runs in flight per handler.</summary>
sealed class Gate
{
    readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int> _max = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int> _done = new(StringComparer.Ordinal);

    public void Open() => _open.TrySetResult();
    public int InFlight(string handler) => _inFlight.GetValueOrDefault(handler);
    public int MaxInFlight(string handler) => _max.GetValueOrDefault(handler);
    public int Done(string handler) => _done.GetValueOrDefault(handler);

    public async Task PassAsync(string handler, CancellationToken cancellationToken)
    {
        var now = _inFlight.AddOrUpdate(handler, 1, (_, n) => n + 1);
        _max.AddOrUpdate(handler, now, (_, m) => Math.Max(m, now));
        try
        {
            await _open.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _inFlight.AddOrUpdate(handler, 0, (_, n) => n - 1);
        }
        _done.AddOrUpdate(handler, 1, (_, n) => n + 1);
    }
}

sealed class GatedHandler(Gate gate) : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken) => gate.PassAsync(@event.Delivery.Handler, cancellationToken);
}
