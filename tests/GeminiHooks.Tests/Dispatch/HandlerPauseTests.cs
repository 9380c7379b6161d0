using System.Net;
using System.Text.Json;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Tests.Dispatch;

/// <summary>Pause and resume through the operator API, on two hosts (replicas) sharing one store file.</summary>
public class HandlerPauseTests
{
    static Dictionary<string, string?> Settings() => new()
    {
        ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
        ["GeminiHooks:Dispatch:MaxAttempts"] = "2",
        ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:01",
    };

    [Fact]
    public async Task A_paused_handler_runs_on_no_replica_until_resumed_on_another_then_every_pair_runs_and_none_is_dead()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var recorder = new Recorder();
        await using var storeA = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        await using var storeB = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        void Handlers(Hosting.GeminiHooksBuilder hooks) => hooks.AddHandler<SteadyHandler>("billing").AddHandler<SteadyHandler>("audit");
        await using var a = await TestHost.StartAsync(dir, Settings(), Handlers, s => s.AddSingleton(recorder), time, storeA);
        await using var b = await TestHost.StartAsync(dir, Settings(), Handlers, s => s.AddSingleton(recorder), time, storeB);

        using (var pause = await a.Client.SendAsync(a.AdminRequest(HttpMethod.Post, "/admin/handlers/billing/pause")))
        {
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
            Assert.Equal("""{"name":"billing","state":"paused"}""", await pause.Content.ReadAsStringAsync());
        }
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
            ids.Add(await (i % 2 == 0 ? a : b).AcceptAsync("batch.succeeded"));

        // The dispatchers are working (audit runs); they only leave billing alone, for two hours of polls and retries.
        await Eventually.UntilAsync(() => recorder.CallsOf("audit") == 4, "audit runs every event");
        for (var step = 0; step < 12; step++)
        {
            time.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(100);
        }
        Assert.Equal(0, recorder.CallsOf("billing"));
        foreach (var id in ids)
            Assert.Equal((RunStatus.Pending, 0), (await a.RunAsync(id, "billing")) is { } run ? (run.Status, run.Attempts) : default);

        using (var list = await b.Client.SendAsync(b.AdminRequest(HttpMethod.Get, "/admin/handlers")))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            using var json = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
            var handlers = json.RootElement.GetProperty("handlers").EnumerateArray().ToDictionary(h => h.GetProperty("name").GetString()!);
            Assert.Equal(["audit", "billing"], handlers.Keys);
            var billing = handlers["billing"];
            Assert.Equal("paused", billing.GetProperty("state").GetString());
            Assert.Equal("code", billing.GetProperty("type").GetString());
            Assert.Equal(4, billing.GetProperty("pending").GetInt64());
            Assert.Equal(2, billing.GetProperty("retry").GetProperty("max_attempts").GetInt32());
            Assert.Equal("00:00:01", billing.GetProperty("retry").GetProperty("base_delay").GetString());
            Assert.Equal(32, billing.GetProperty("concurrency").GetInt32());
            Assert.Equal("active", handlers["audit"].GetProperty("state").GetString());
            Assert.Equal(0, handlers["audit"].GetProperty("pending").GetInt64());
        }

        // Resumed through the other replica: every pair runs once, on its first attempt.
        using (var resume = await b.Client.SendAsync(b.AdminRequest(HttpMethod.Post, "/admin/handlers/billing/resume")))
            Assert.Equal("""{"name":"billing","state":"active"}""", await resume.Content.ReadAsStringAsync());
        await Eventually.UntilAsync(async () =>
        {
            foreach (var id in ids)
                if ((await a.RunAsync(id, "billing"))?.Status != RunStatus.Succeeded)
                    return false;
            return true;
        }, "every billing pair succeeds");
        Assert.Equal(4, recorder.CallsOf("billing"));
        foreach (var id in ids)
            Assert.Equal(1, (await a.RunAsync(id, "billing"))!.Attempts);
        Assert.Equal(0, (await storeA.CountAsync(CancellationToken.None)).Dead);
    }

    [Fact]
    public async Task Pausing_a_name_no_handler_has_is_404_and_the_pause_survives_a_restart()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var recorder = new Recorder();
        await using (var host = await TestHost.StartAsync(dir, Settings(), hooks => hooks.AddHandler<SteadyHandler>("billing"),
            s => s.AddSingleton(recorder), time))
        {
            using var unknown = await host.Client.SendAsync(host.AdminRequest(HttpMethod.Post, "/admin/handlers/biling/pause"));
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            using var unauthorized = await host.Client.SendAsync(host.AdminRequest(HttpMethod.Post, "/admin/handlers/billing/pause", key: null));
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
            using var pause = await host.Client.SendAsync(host.AdminRequest(HttpMethod.Post, "/admin/handlers/billing/pause"));
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        }

        // A new process over the same file: still paused.
        await using var restarted = await TestHost.StartAsync(dir, Settings(), hooks => hooks.AddHandler<SteadyHandler>("billing"),
            s => s.AddSingleton(recorder), time);
        var id = await restarted.AcceptAsync("batch.succeeded");
        await Task.Delay(500);
        time.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(500);
        Assert.Equal(0, recorder.CallsOf("billing"));
        Assert.True((await restarted.Store.GetHandlerStatesAsync(["billing"], CancellationToken.None))[0].Paused);
        Assert.Equal(RunStatus.Pending, (await restarted.RunAsync(id, "billing"))!.Status);
    }
}
