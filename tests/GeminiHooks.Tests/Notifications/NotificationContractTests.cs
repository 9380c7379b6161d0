using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Notifications;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Tests.Notifications;

/// <summary>
/// <c>Notify</c> end to end on a real store (a SQLite file here, PostgreSQL in GeminiHooks.Postgres.Tests, which compiles
/// this file too), on the real clock: a host dispatching to failing handlers, and a notification sink on loopback.
/// </summary>
public abstract class NotificationContractTests : IAsyncLifetime
{
    const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    readonly List<IEventStore> _stores = [];
    LoopbackReceiver _sink = null!;

    /// <summary>A new, initialized store over this test's database (made on the first call); a second call is another replica.</summary>
    protected abstract Task<IEventStore> CreateStoreAsync(TimeProvider time);

    protected abstract Task DropAsync();

    public async Task InitializeAsync() => _sink = await LoopbackReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _sink.DisposeAsync();
        foreach (var store in _stores)
            await store.DisposeAsync();
        await DropAsync();
    }

    async Task<IEventStore> StoreAsync()
    {
        var store = await CreateStoreAsync(TimeProvider.System);
        _stores.Add(store);
        return store;
    }

    /// <summary>A path like a Slack webhook's: the token in it is a credential and must never reach a log.</summary>
    const string TokenPath = "/notify/T0001/B0002/xoxb-secret-token-9f8e7d";

    Dictionary<string, string?> Settings(string events, string minInterval, string type = "http") => new()
    {
        ["GeminiHooks:Notify:Type"] = type,
        ["GeminiHooks:Notify:Url"] = _sink.Url(TokenPath),
        ["GeminiHooks:Notify:Secret"] = Secret,
        ["GeminiHooks:Notify:Events:0"] = events,
        ["GeminiHooks:Notify:MinInterval"] = minInterval,
        ["GeminiHooks:Dispatch:MaxAttempts"] = "1",
    };

    Task<TestHost> StartAsync(TempDirectory dir, IEventStore store, Dictionary<string, string?> settings, Support.Recorder recorder,
        Action<GeminiHooks.Hosting.GeminiHooksBuilder>? handlers = null, CapturedLogs? logs = null) =>
        TestHost.StartAsync(dir, settings, handlers ?? (hooks => hooks.AddHandler<Support.FlakyHandler>("billing")),
            services => services.AddSingleton(recorder), TimeProvider.System, store, logs);

    /// <summary>Dead-lettered pairs of the handler, in one query (cheap enough to poll).</summary>
    static async Task<long> DeadAsync(IEventStore store, string handler = "billing") =>
        (await store.GetHandlerStatesAsync([handler], CancellationToken.None))[0].Dead;

    List<LoopbackReceiver.Received> Messages(string? kind = null) =>
        _sink.Requests.Where(r => kind is null || (string?)JsonNode.Parse(r.Body)?["kind"] == kind).ToList();

    [Fact]
    public async Task A_hundred_dead_letters_in_one_interval_make_one_message_with_the_count_and_a_later_one_only_for_new_ones()
    {
        using var dir = new TempDirectory();
        var store = await StoreAsync();
        await using var host = await StartAsync(dir, store, Settings(NotificationKinds.DeadLetter, "00:00:08"), new Support.Recorder());
        var ids = new List<string>();
        for (var i = 0; i < 100; i++)
            ids.Add(await host.AcceptAsync("batch.succeeded"));
        await Eventually.UntilAsync(async () => await DeadAsync(store) == 100, "all 100 are dead-lettered", TimeSpan.FromSeconds(60));

        var first = await Eventually.FindAsync(() => Task.FromResult(Messages().FirstOrDefault()), "the notification arrives",
            TimeSpan.FromSeconds(30));
        var sentAt = Stopwatch.StartNew();
        var body = JsonNode.Parse(first.Body)!.AsObject();
        Assert.Equal("geminihooks.notification", (string?)body["type"]);
        Assert.Equal("dead_letter", (string?)body["kind"]);
        Assert.Equal(100, (long)body["count"]!);
        var subjects = body["subjects"]!.AsArray().Select(s => (string)s!).ToList();
        Assert.Equal(5, subjects.Count);
        Assert.All(subjects, s => Assert.Contains(s, ids.Select(id => $"{id} (billing)")));
        Assert.Contains("100 dead letters", (string?)body["text"], StringComparison.Ordinal);

        // Signed per Standard Webhooks: the project's verifier and the npm reference library both accept it.
        Assert.True(StandardWebhooks.VerifyV1([StandardWebhooks.DecodeSecret(Secret)], first.Headers["webhook-id"],
            first.Headers["webhook-timestamp"], Encoding.UTF8.GetBytes(first.Body), first.Headers["webhook-signature"]));
        var verified = await Node.SignerAsync("verify-static", new JsonObject
        {
            ["secret"] = Secret,
            ["headers"] = new JsonObject
            {
                ["webhook-id"] = first.Headers["webhook-id"],
                ["webhook-timestamp"] = first.Headers["webhook-timestamp"],
                ["webhook-signature"] = first.Headers["webhook-signature"],
            },
            ["body"] = first.Body,
        });
        Assert.True(verified["ok"]!.GetValue<bool>(), verified.ToJsonString());

        // Nothing new: no second message, however long.
        await Task.Delay(TimeSpan.FromSeconds(10));
        Assert.Single(Messages());

        // One more dead letter: one more message, with that one only, not sooner than an interval after the first.
        var late = await host.AcceptAsync("batch.succeeded");
        var second = await Eventually.FindAsync(() => Task.FromResult(Messages().Skip(1).FirstOrDefault()), "the second notification",
            TimeSpan.FromSeconds(30));
        Assert.True(sentAt.Elapsed >= TimeSpan.FromSeconds(7.5), $"second message {sentAt.Elapsed} after the first");
        var secondBody = JsonNode.Parse(second.Body)!;
        Assert.Equal(1, (long)secondBody["count"]!);
        Assert.Equal($"{late} (billing)", (string?)secondBody["subjects"]![0]);
        Assert.NotEqual(first.Headers["webhook-id"], second.Headers["webhook-id"]);
    }

    [Fact]
    public async Task A_sink_that_is_down_is_retried_and_does_not_slow_dispatch()
    {
        using var dir = new TempDirectory();
        var store = await StoreAsync();
        // The sink fails slowly (1.5 s, then 500) until it is switched back on; what it took in is kept apart.
        var down = true;
        var delivered = new ConcurrentQueue<string>();
        _sink.Answer = async (request, _) =>
        {
            if (!Volatile.Read(ref down))
            {
                delivered.Enqueue(request.Body);
                return 200;
            }
            await Task.Delay(1500);
            return 500;
        };
        var logs = new CapturedLogs();
        await using var host = await StartAsync(dir, store, Settings(NotificationKinds.DeadLetter, "00:00:01"), new Support.Recorder(), logs: logs);
        using var counts = new NotificationCounts(host.App.Services.GetRequiredService<IMeterFactory>());

        async Task<TimeSpan> DispatchAsync(int count)
        {
            var before = await DeadAsync(store);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
                await host.AcceptAsync("batch.succeeded");
            await Eventually.UntilAsync(async () => await DeadAsync(store) == before + count, "all are dead-lettered", TimeSpan.FromSeconds(90));
            return clock.Elapsed;
        }

        // Warm up (first claims, JIT), then the sink is down while 200 events are dispatched and their notices pile up.
        await DispatchAsync(20);
        var whileDown = await DispatchAsync(200);
        await Eventually.UntilAsync(() => _sink.Requests.Count >= 3, "the failed notification is retried", TimeSpan.FromSeconds(30));
        Volatile.Write(ref down, false);
        var whileUp = await DispatchAsync(200);

        // Sends happen beside dispatch: a failing, slow sink costs dispatch nothing it would notice.
        Assert.True(whileDown < whileUp * 3 + TimeSpan.FromSeconds(3), $"dispatch took {whileDown} with the sink down, {whileUp} with it up");

        // Once the sink is back, the retried message arrives: every dead letter is reported, none twice.
        long Reported() => delivered.Sum(b => (long)JsonNode.Parse(b)!["count"]!);
        await Eventually.UntilAsync(() => Task.FromResult(Reported() == 420), () => $"reported {Reported()} of 420", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(420, Reported());

        // Counted by result; logged by kind and status, never with the URL or its token.
        Assert.True(counts.Of("dead_letter", "failed") >= 3, $"failed: {counts.Of("dead_letter", "failed")}");
        Assert.Equal(delivered.Count, counts.Of("dead_letter", "sent"));
        Assert.Contains(logs.Lines, l => l.Contains("Notification dead_letter", StringComparison.Ordinal) &&
                                         l.Contains("answered 500", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("xoxb-secret-token", StringComparison.Ordinal) ||
                                              l.Contains("/notify/T0001", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_condition_is_raised_once_while_it_holds_on_any_replica_and_again_after_it_ended()
    {
        var one = (INotificationStore)await StoreAsync();
        var two = (INotificationStore)await StoreAsync();
        var old = new Dictionary<string, string> { ["oldest_pending"] = "msg_1 pending for 16 min 0 s" };
        var none = new Dictionary<string, string>();

        Assert.Equal(1, await one.SetConditionsAsync(NotificationKinds.BacklogAge, old, CancellationToken.None));
        Assert.Equal(0, await two.SetConditionsAsync(NotificationKinds.BacklogAge, old, CancellationToken.None));
        Assert.Equal(0, await one.SetConditionsAsync(NotificationKinds.BacklogAge, old, CancellationToken.None));
        Assert.Equal(0, await two.SetConditionsAsync(NotificationKinds.BacklogAge, none, CancellationToken.None));
        Assert.Equal(1, await one.SetConditionsAsync(NotificationKinds.BacklogAge, old, CancellationToken.None));

        var batch = await one.TakeNotificationAsync(NotificationKinds.BacklogAge, "one", TimeSpan.Zero, TimeSpan.FromMinutes(1), 5,
            CancellationToken.None);
        Assert.NotNull(batch);
        Assert.Equal(2, batch.Count);
        Assert.Equal(["msg_1 pending for 16 min 0 s"], batch.Subjects);
    }

    [Fact]
    public async Task A_sink_that_refuses_connections_is_retried_with_backoff_not_hammered()
    {
        // A port that was just free: nothing listens there, so every connection is refused.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var dir = new TempDirectory();
        var store = await StoreAsync();
        var settings = Settings(NotificationKinds.DeadLetter, "00:00:04");
        settings["GeminiHooks:Notify:Url"] = $"http://127.0.0.1:{port}{TokenPath}";
        var logs = new CapturedLogs();
        await using var host = await StartAsync(dir, store, settings, new Support.Recorder(), logs: logs);
        using var counts = new NotificationCounts(host.App.Services.GetRequiredService<IMeterFactory>());
        await host.AcceptAsync("batch.succeeded");
        await Eventually.UntilAsync(async () => await DeadAsync(store) == 1, "dead-lettered");

        // Gathered for 4 s, then tried; retried after 1 s, 2 s, 4 s, 4 s, …: a handful of tries in 12 s, not hundreds.
        await Eventually.UntilAsync(() => counts.Of("dead_letter", "failed") >= 2, "the send is retried", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(8));
        var failed = counts.Of("dead_letter", "failed");
        Assert.InRange(failed, 3, 8);
        Assert.Equal(0, counts.Of("dead_letter", "sent"));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("xoxb-secret-token", StringComparison.Ordinal));
    }

    /// <summary><c>geminihooks.notifications</c> of one host, by kind and result.</summary>
    sealed class NotificationCounts : IDisposable
    {
        readonly MeterListener _listener = new();
        readonly ConcurrentDictionary<(string, string), long> _counts = new();

        public NotificationCounts(IMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name == "geminihooks.notifications")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? kind = null, result = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "kind")
                        kind = tag.Value as string;
                    else if (tag.Key == "result")
                        result = tag.Value as string;
                }
                _counts.AddOrUpdate((kind ?? "", result ?? ""), value, (_, n) => n + value);
            });
            _listener.Start();
        }

        public long Of(string kind, string result) => _counts.GetValueOrDefault((kind, result));

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Circuit_open_and_closed_are_each_notified_when_the_circuit_moves()
    {
        using var dir = new TempDirectory();
        var store = await StoreAsync();
        var recorder = new Support.Recorder();
        var settings = Settings(NotificationKinds.CircuitOpen, "00:00:01");
        settings["GeminiHooks:Notify:Events:1"] = NotificationKinds.CircuitClosed;
        settings["GeminiHooks:Notify:Type"] = "slack";
        settings["GeminiHooks:Dispatch:MaxAttempts"] = "100";
        settings["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:00.200";
        settings["GeminiHooks:Dispatch:RetryMaxDelay"] = "00:00:00.200";
        await using var host = await StartAsync(dir, store, settings, recorder, hooks => hooks.AddHandler<Support.FlakyHandler>("billing", h =>
        {
            h.CircuitBreaker.FailureThreshold = 3;
            h.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(3);
        }));
        for (var i = 0; i < 5; i++)
            await host.AcceptAsync("batch.succeeded");

        // Slack gets text: the kind in words and the handler's name.
        var opened = await Eventually.FindAsync(() => Task.FromResult(_sink.Requests.FirstOrDefault()), "the open circuit is notified",
            TimeSpan.FromSeconds(30));
        var text = (string)JsonNode.Parse(opened.Body)!["text"]!;
        Assert.StartsWith("GeminiHooks: 1 handler circuit opened", text, StringComparison.Ordinal);
        Assert.EndsWith(": billing", text, StringComparison.Ordinal);
        Assert.False(opened.Headers.ContainsKey("webhook-signature"));

        // The downstream recovers: the probe after the break succeeds and the circuit closes; that is the one other message.
        recorder.Failing = false;
        var closed = await Eventually.FindAsync(() => Task.FromResult(_sink.Requests.Skip(1).FirstOrDefault()), "the closed circuit is notified",
            TimeSpan.FromSeconds(30));
        Assert.StartsWith("GeminiHooks: 1 handler circuit closed", (string)JsonNode.Parse(closed.Body)!["text"]!, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(2, _sink.Requests.Count);
    }

    [Fact]
    public async Task Backlog_age_is_notified_once_when_the_oldest_pending_event_passes_the_threshold()
    {
        using var dir = new TempDirectory();
        var store = await StoreAsync();
        var settings = Settings(NotificationKinds.BacklogAge, "00:00:01");
        settings["GeminiHooks:Notify:BacklogAge"] = "00:00:03";
        // Nothing runs handlers here, so the events stay pending.
        settings["GeminiHooks:Dispatch:Enabled"] = "false";
        await using var host = await StartAsync(dir, store, settings, new Support.Recorder());
        var clock = Stopwatch.StartNew();
        var oldest = await host.AcceptAsync("batch.succeeded");
        await host.AcceptAsync("batch.succeeded");

        var message = await Eventually.FindAsync(() => Task.FromResult(Messages().FirstOrDefault()), "the backlog is notified",
            TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"notified after {clock.Elapsed}, before the threshold");
        var body = JsonNode.Parse(message.Body)!;
        Assert.Equal("backlog_age", (string?)body["kind"]);
        Assert.Equal(1, (long)body["count"]!);
        Assert.StartsWith(oldest + " pending for", (string?)body["subjects"]![0], StringComparison.Ordinal);

        // Still old, still one message: the condition is raised when it begins, not on every look.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Single(Messages());
    }

    [Fact]
    public async Task A_webhook_the_watchdog_finds_disabled_is_notified_once()
    {
        await using var gemini = await LoopbackServer.StartAsync(app => app.MapGet("/{**path}", () => Results.Text("""
            {"webhooks":[{"name":"webhooks/w1","id":"w1","state":"disabled_due_to_failed_deliveries","subscribed_events":["batch.succeeded"]},
                         {"name":"webhooks/w2","id":"w2","state":"enabled","subscribed_events":["batch.succeeded"]}]}
            """, "application/json")));
        using var dir = new TempDirectory();
        var store = await StoreAsync();
        var settings = Settings(NotificationKinds.WebhookDisabled, "00:00:01");
        settings["GeminiHooks:Watchdog:Enabled"] = "true";
        settings["GeminiHooks:Watchdog:Interval"] = "00:00:01";
        settings["GeminiHooks:Gemini:BaseUrl"] = gemini.Address;
        settings["GeminiHooks:Gemini:ApiKey"] = "test-api-key";
        await using var host = await StartAsync(dir, store, settings, new Support.Recorder());

        var message = await Eventually.FindAsync(() => Task.FromResult(Messages().FirstOrDefault()), "the disabled webhook is notified",
            TimeSpan.FromSeconds(30));
        var body = JsonNode.Parse(message.Body)!;
        Assert.Equal("webhook_disabled", (string?)body["kind"]);
        Assert.Equal("webhooks/w1 (disabled_due_to_failed_deliveries)", (string?)body["subjects"]![0]);
        Assert.Equal(1, (long)body["count"]!);
        // The watchdog keeps finding it disabled every second: no news, no message.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Single(Messages());
    }

    [Fact]
    public async Task Replicas_share_one_turn_per_kind_and_a_reconcile_conflict_is_recorded_with_the_delivery()
    {
        var one = (INotificationStore)await StoreAsync();
        var two = (INotificationStore)await StoreAsync();
        var store = (IEventStore)one;
        var now = DateTimeOffset.UtcNow;
        IncomingDelivery Terminal(string webhookId, string type) => new("dynamic", webhookId, now.ToUnixTimeSeconds(), now, type,
            Encoding.UTF8.GetBytes($$$"""{"type":"{{{type}}}","data":{"id":"batches/77"}}"""), ["h"])
        {
            Job = JobNames.OutcomeOf(type, "batches/77", reconciled: false),
        };
        Assert.Equal(AcceptOutcome.Accepted, await store.AcceptAsync(Terminal("w1", "batch.succeeded"), CancellationToken.None));
        Assert.Equal(AcceptOutcome.Conflict, await store.AcceptAsync(Terminal("w2", "batch.failed"), CancellationToken.None));

        // Not due before a whole interval has passed since the occurrence.
        Assert.Null(await one.TakeNotificationAsync(NotificationKinds.ReconcileConflict, "one", TimeSpan.FromMinutes(1),
            TimeSpan.FromMinutes(1), 5, CancellationToken.None));
        var taken = await Task.WhenAll(
            one.TakeNotificationAsync(NotificationKinds.ReconcileConflict, "one", TimeSpan.Zero, TimeSpan.FromMinutes(1), 5, CancellationToken.None),
            two.TakeNotificationAsync(NotificationKinds.ReconcileConflict, "two", TimeSpan.Zero, TimeSpan.FromMinutes(1), 5, CancellationToken.None));
        var batch = Assert.Single(taken, b => b is not null)!;
        Assert.Equal(1, batch.Count);
        Assert.Equal("batch 77: batch.failed (w2)", Assert.Single(batch.Subjects));

        // A failed send hands the turn back with a retry time; the retry reports the same occurrence under the same id.
        var owner = ReferenceEquals(batch, taken[0]) ? "one" : "two";
        await one.NotificationFailedAsync(batch, owner, DateTimeOffset.UtcNow, CancellationToken.None);
        var retry = await two.TakeNotificationAsync(NotificationKinds.ReconcileConflict, "two", TimeSpan.Zero, TimeSpan.FromMinutes(1), 5,
            CancellationToken.None);
        Assert.NotNull(retry);
        Assert.Equal((batch.FirstId, 1L, 1), (retry.FirstId, retry.Count, retry.Failures));
        await two.NotificationSentAsync(retry, "two", CancellationToken.None);
        Assert.Null(await one.TakeNotificationAsync(NotificationKinds.ReconcileConflict, "one", TimeSpan.Zero, TimeSpan.FromMinutes(1), 5,
            CancellationToken.None));
    }
}
