using System.Net;
using System.Text.Json;
using GeminiHooks.Events;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Tests.Dispatch;

public class RetryAndReplayTests
{
    static readonly TimeSpan BaseDelay = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Failing_handler_retries_on_schedule_dead_letters_and_recovers_after_replay_while_the_other_runs_once()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dispatch:MaxAttempts"] = "3",
            ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:01:00",
            ["GeminiHooks:Dispatch:RetryMaxDelay"] = "01:00:00",
            ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
        }, hooks => hooks.AddHandler<FlakyHandler>("flaky").AddHandler<SteadyHandler>("steady"),
            services => services.AddSingleton(recorder));
        var time = host.FakeTime;

        Assert.Equal(["flaky", "steady"], host.HandlersFor("batch.succeeded"));
        var id = await host.AcceptAsync("batch.succeeded");

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await Eventually.UntilAsync(async () => (await host.RunAsync(id, "flaky")) is { Attempts: var a, Status: not RunStatus.Running } && a == attempt,
                $"attempt {attempt} is recorded");
            Assert.Equal(attempt, recorder.CallsOf("flaky"));
            var run = (await host.RunAsync(id, "flaky"))!;
            Assert.Contains("downstream is down", run.LastError, StringComparison.Ordinal);
            if (attempt == 3)
            {
                Assert.Equal(RunStatus.Dead, run.Status);
                break;
            }
            Assert.Equal(RunStatus.Pending, run.Status);

            // Backoff: base * 2^(attempt-1), ±20 %.
            var expected = BaseDelay * Math.Pow(2, attempt - 1);
            var delay = run.NextAttemptAt - time.GetUtcNow();
            Assert.InRange(delay, expected * 0.8 - TimeSpan.FromSeconds(1), expected * 1.2);

            // Just before it is due, nothing runs, even with the clock ticking.
            time.SetUtcNow(run.NextAttemptAt - TimeSpan.FromSeconds(3));
            for (var i = 0; i < 2; i++)
            {
                await Task.Delay(150);
                time.Advance(TimeSpan.FromSeconds(1));
            }
            await Task.Delay(150);
            Assert.Equal(attempt, recorder.CallsOf("flaky"));
            Assert.True(time.GetUtcNow() < run.NextAttemptAt);

            // Once it is due, it runs.
            await Eventually.AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => Task.FromResult(recorder.CallsOf("flaky") == attempt + 1),
                $"attempt {attempt + 1} runs");
            Assert.True(time.GetUtcNow() >= run.NextAttemptAt);
        }

        var stored = (await host.Store.GetEventAsync(TestHost.Endpoint, id, CancellationToken.None))!;
        Assert.Equal(EventStatus.Dead, stored.Status);
        Assert.Equal(RunStatus.Succeeded, stored.Handlers.Single(h => h.Handler == "steady").Status);

        // Dead letters stay dead, however long we wait.
        time.Advance(TimeSpan.FromDays(1));
        await Task.Delay(200);
        Assert.Equal(3, recorder.CallsOf("flaky"));

        // The downstream recovers; the operator replays over HTTP.
        recorder.Failing = false;
        using var replay = host.AdminRequest(HttpMethod.Post, $"/admin/events/{TestHost.Endpoint}/{id}/replay?handler=flaky");
        using var response = await host.Client.SendAsync(replay);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, answer.RootElement.GetProperty("queued").GetInt32());

        await Eventually.UntilAsync(async () => (await host.RunAsync(id, "flaky"))?.Status == RunStatus.Succeeded, "the replay succeeds");
        Assert.Equal(4, recorder.CallsOf("flaky"));
        Assert.Equal(1, recorder.CallsOf("steady"));
        Assert.Equal(EventStatus.Done, (await host.Store.GetEventAsync(TestHost.Endpoint, id, CancellationToken.None))!.Status);
        Assert.All(recorder.Seen, s => Assert.IsType<BatchSucceeded>(s.Event));
        Assert.Equal([1, 2, 3, 1], recorder.Seen.Where(s => s.Handler == "flaky").Select(s => s.Event.Delivery.Attempt));
    }

    [Fact]
    public async Task Unknown_types_reach_all_events_handlers_as_UnknownEvent_and_typed_handlers_get_only_their_records()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder();
        await using var host = await TestHost.StartAsync(dir, handlers: hooks => hooks.AddHandler<SteadyHandler>("all")
            .AddHandler<BatchOnlyHandler>(), services: services => services.AddSingleton(recorder));

        Assert.Equal(["all"], host.HandlersFor("model.tuned"));
        Assert.Equal(["BatchOnlyHandler", "all"], host.HandlersFor("batch.completed")); // ordinal order
        Assert.Equal(["BatchOnlyHandler", "all"], host.HandlersFor("batch.failed"));
        Assert.Equal(["all"], host.HandlersFor("batch.cancelled"));

        var unknown = await host.AcceptAsync("model.tuned", """{"type":"model.tuned","data":{"score":0.5}}""");
        var completed = await host.AcceptAsync("batch.completed");
        var failed = await host.AcceptAsync("batch.failed");
        await Eventually.UntilAsync(() => recorder.Seen.Count == 5, "five runs");

        var seenUnknown = Assert.IsType<UnknownEvent>(recorder.Seen.Single(s => s.Event.Delivery.WebhookId == unknown).Event);
        Assert.Equal("model.tuned", seenUnknown.Type);
        Assert.Equal(0.5, seenUnknown.Data.GetProperty("score").GetDouble());
        Assert.Equal(1, recorder.CallsOf("BatchOnly:succeeded"));
        Assert.Equal(1, recorder.CallsOf("BatchOnly:failed"));
        Assert.Equal("batch.completed", recorder.Seen.First(s => s.Handler == "BatchOnly:succeeded").Event.Type);
        Assert.Equal(completed, recorder.Seen.First(s => s.Handler == "BatchOnly:succeeded").Event.Delivery.WebhookId);
        Assert.Equal(failed, recorder.Seen.First(s => s.Handler == "BatchOnly:failed").Event.Delivery.WebhookId);
    }

    [Fact]
    public async Task A_pair_whose_handler_is_gone_is_dead_lettered_with_a_clear_error()
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir);
        var now = host.Time.GetUtcNow();
        await host.Store.AcceptAsync(new IncomingDelivery(TestHost.Endpoint, "msg_orphan", now.ToUnixTimeSeconds(), now,
            "batch.failed", """{"type":"batch.failed","data":{}}"""u8.ToArray(), ["removed-handler"]), CancellationToken.None);
        await Eventually.UntilAsync(async () => (await host.RunAsync("msg_orphan", "removed-handler"))?.Status == RunStatus.Dead,
            "the orphaned pair is dead-lettered");
        Assert.Contains("'removed-handler' is not registered or configured", (await host.RunAsync("msg_orphan", "removed-handler"))!.LastError,
            StringComparison.Ordinal);
    }
}
