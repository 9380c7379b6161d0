using System.Diagnostics.Metrics;
using System.Text;
using GeminiHooks.Binding;
using GeminiHooks.Configuration;
using GeminiHooks.Dispatch;
using GeminiHooks.Gemini;
using GeminiHooks.Observability;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Tests.Reconciliation;

/// <summary>
/// Matching inside the accept on a real store (SQLite here, PostgreSQL in GeminiHooks.Postgres.Tests, which compiles
/// this file too), and the reconciler and the API client against a small Gemini job API on loopback (the resource
/// shapes the SDKs read), with business time on a fake clock.
/// </summary>
public abstract class ReconciliationContractTests : IAsyncLifetime
{
    static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    readonly FakeTimeProvider _time = new(Start);
    readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
    IEventStore _store = null!;

    CancellationToken Ct => _timeout.Token;

    /// <summary>The job half of the store, as the reconciler and the admin API use it.</summary>
    IJobStore Jobs => (IJobStore)_store;

    /// <summary>
    /// A new, initialized store over the database of this test (made on the first call): a second call is a second
    /// replica over the same data.
    /// </summary>
    protected abstract Task<IEventStore> CreateStoreAsync(TimeProvider time, CancellationToken cancellationToken);

    protected abstract Task DropAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync(_time, Ct);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _meters.DisposeAsync();
        await DropAsync();
        _timeout.Dispose();
    }

    IncomingDelivery Terminal(string webhookId, string type, string dataId, string endpoint = "dynamic", bool reconciled = false)
    {
        var body = Encoding.UTF8.GetBytes($$$"""{"type":"{{{type}}}","data":{"id":"{{{dataId}}}"}}""");
        return new IncomingDelivery(endpoint, webhookId, _time.GetUtcNow().ToUnixTimeSeconds(), _time.GetUtcNow(), type, body, ["h"])
        {
            Job = JobNames.OutcomeOf(type, dataId, reconciled),
        };
    }

    [Fact]
    public async Task First_terminal_event_per_job_gets_runs_later_ones_are_kept_without()
    {
        Assert.Equal(AcceptOutcome.Accepted, await _store.AcceptAsync(Terminal("w1", "batch.succeeded", "batches/123"), Ct));
        // The short id form matches the same job; the same type is a duplicate, another terminal type a conflict.
        Assert.Equal(AcceptOutcome.Superseded, await _store.AcceptAsync(Terminal("w2", "batch.succeeded", "123"), Ct));
        Assert.Equal(AcceptOutcome.Conflict, await _store.AcceptAsync(Terminal("w3", "batch.failed", "batches/123"), Ct));
        // A redelivery of the first is still a plain duplicate of the webhook id.
        Assert.Equal(AcceptOutcome.Duplicate, await _store.AcceptAsync(Terminal("w1", "batch.succeeded", "batches/123"), Ct));
        // Another family with the same id is another job.
        Assert.Equal(AcceptOutcome.Accepted, await _store.AcceptAsync(Terminal("w4", "interaction.completed", "interactions/123"), Ct));

        var first = await _store.GetEventAsync("dynamic", "w1", Ct);
        var later = await _store.GetEventAsync("dynamic", "w2", Ct);
        var conflict = await _store.GetEventAsync("dynamic", "w3", Ct);
        Assert.Single(first!.Handlers);
        Assert.Empty(later!.Handlers);
        Assert.Equal(EventStatus.Done, later.Status);
        Assert.Empty(conflict!.Handlers);
        var followers = await Jobs.FollowersAsync(new JobKey(JobFamily.Batch, "123"), Ct);
        Assert.Equal(["conflict", "duplicate"], followers.Select(f => f.Kind).Order().ToArray());
        Assert.Contains(followers, f => f.RawId == "123");
    }

    [Fact]
    public async Task Many_deliveries_of_one_job_at_once_through_two_replicas_run_the_handlers_once()
    {
        // Two registered webhooks with one URL, or a static and a dynamic delivery, deliver one job under several ids.
        await using var replica = await CreateStoreAsync(_time, Ct);
        var deliveries = Enumerable.Range(0, 40).Select(i => (Store: i % 2 == 0 ? _store : replica,
            Delivery: Terminal($"w{i}", i == 39 ? "batch.failed" : "batch.succeeded", i % 3 == 0 ? "batches/777" : "777",
                endpoint: i % 4 == 0 ? "static" : "dynamic")));
        var outcomes = await Task.WhenAll(deliveries.Select(d => Task.Run(() => d.Store.AcceptAsync(d.Delivery, Ct), Ct)));

        Assert.Single(outcomes, o => o == AcceptOutcome.Accepted);
        Assert.All(outcomes, o => Assert.Contains(o, new[] { AcceptOutcome.Accepted, AcceptOutcome.Superseded, AcceptOutcome.Conflict }));
        var followers = await Jobs.FollowersAsync(new JobKey(JobFamily.Batch, "777"), Ct);
        Assert.Equal(39, followers.Count);
        Assert.Single(await _store.ClaimAsync("w", 100, TimeSpan.FromMinutes(1), Ct));
        Assert.Empty(await replica.ClaimAsync("w", 100, TimeSpan.FromMinutes(1), Ct));
    }

    [Fact]
    public async Task A_binding_token_is_tied_to_the_first_job_that_presents_it_until_it_expires()
    {
        await using var replica = await CreateStoreAsync(_time, Ct);
        var ties = (IBindingNonceStore)_store;
        var expires = _time.GetUtcNow().AddDays(3);
        var first = new JobKey(JobFamily.Batch, "1");
        var other = new JobKey(JobFamily.Video, "1");

        // Two replicas, the same nonce for two jobs at once: exactly one job gets it.
        var raced = await Task.WhenAll(
            Task.Run(() => ties.TieAsync("nonce-a", first, expires, Ct), Ct),
            Task.Run(() => ((IBindingNonceStore)replica).TieAsync("nonce-a", other, expires, Ct), Ct));
        Assert.Single(raced, won => won);
        var owner = raced[0] ? first : other;
        Assert.True(await ties.TieAsync("nonce-a", owner, expires, Ct));
        Assert.False(await ((IBindingNonceStore)replica).TieAsync("nonce-a", owner == first ? other : first, expires, Ct));
        Assert.True(await ties.TieAsync("nonce-b", other, _time.GetUtcNow().AddHours(1), Ct));

        _time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await ties.DeleteExpiredTiesAsync(_time.GetUtcNow(), Ct));
        Assert.True(await ties.TieAsync("nonce-b", first, expires, Ct));
    }

    [Fact]
    public async Task Requires_action_and_unknown_types_are_never_matched()
    {
        Assert.Null(JobNames.OutcomeOf("interaction.requires_action", "interactions/9", false));
        Assert.Null(JobNames.OutcomeOf("something.new", "x/9", false));
        var body = Encoding.UTF8.GetBytes("""{"type":"interaction.requires_action","data":{"id":"interactions/9"}}""");
        for (var i = 0; i < 3; i++)
        {
            var d = new IncomingDelivery("dynamic", "ra" + i, 0, _time.GetUtcNow(), "interaction.requires_action", body, ["h"]);
            Assert.Equal(AcceptOutcome.Accepted, await _store.AcceptAsync(d, Ct));
            Assert.Single((await _store.GetEventAsync("dynamic", "ra" + i, Ct))!.Handlers);
        }
    }

    [Fact]
    public void Envelope_reader_finds_data_id_without_changing_what_it_accepts()
    {
        var body = """{"data":{"x":{"id":"nested"},"id":"batches/77"},"type":"batch.failed"}"""u8.ToArray();
        Assert.Equal(GeminiHooks.Events.EnvelopeReader.Problem.None, GeminiHooks.Events.EnvelopeReader.TryReadType(body, out var type, out var range));
        Assert.Equal("batch.failed", type);
        Assert.Equal("batches/77", GeminiHooks.Events.EnvelopeReader.DataId(body, range));
        var escaped = """{"type":"batch.failed","data":{"id":"batches\/78"}}"""u8.ToArray();
        GeminiHooks.Events.EnvelopeReader.TryReadType(escaped, out _, out var escapedRange);
        Assert.Equal("batches/78", GeminiHooks.Events.EnvelopeReader.DataId(escaped, escapedRange));
        var none = """{"type":"batch.failed","id":"batches/1"}"""u8.ToArray();
        GeminiHooks.Events.EnvelopeReader.TryReadType(none, out _, out var noneRange);
        Assert.False(noneRange.Found);
    }

    /// <summary>A Gemini job API on loopback: each job's resource, and a fault plan answered before it.</summary>
    sealed class FakeGemini
    {
        public Dictionary<string, string> Resources { get; } = new(StringComparer.Ordinal);
        public Queue<int> Faults { get; } = new();
        public int Requests;
        public string? LastKey;

        public void Map(WebApplication app) => app.MapGet("/v1beta/{**path}", (string path, HttpRequest request) =>
        {
            Interlocked.Increment(ref Requests);
            LastKey = request.Headers["x-goog-api-key"];
            lock (Faults)
            {
                if (Faults.TryDequeue(out var status))
                {
                    if (status == 429)
                        request.HttpContext.Response.Headers.RetryAfter = "0";
                    return Results.Json(new { error = new { code = status, message = "fault", status = "UNAVAILABLE" } }, statusCode: status);
                }
            }
            lock (Resources)
                return Resources.TryGetValue(path, out var json) ? Results.Text(json, "application/json") :
                    Results.Json(new { error = new { code = 404, message = "not found", status = "NOT_FOUND" } }, statusCode: 404);
        });
    }

    sealed class OneHandler : IHandlerCatalog
    {
        public IReadOnlyList<string> HandlersFor(string eventType) => ["h"];
    }

    (JobReconciler Reconciler, GeminiApiClient Client) NewReconciler(string baseUrl, Action<GeminiHooksOptions>? configure = null,
        TimeProvider? clientTime = null)
    {
        var options = new GeminiHooksOptions();
        options.Gemini.BaseUrl = baseUrl;
        options.Gemini.ApiKey = "AIza-test-key";
        options.Gemini.RetryInitial = TimeSpan.FromMilliseconds(20);
        options.Gemini.RetryMax = TimeSpan.FromMilliseconds(200);
        options.Reconcile.Enabled = true;
        options.Reconcile.Grace = TimeSpan.FromMinutes(10);
        options.Reconcile.PollInitial = TimeSpan.FromMinutes(1);
        options.Reconcile.PollMax = TimeSpan.FromMinutes(8);
        configure?.Invoke(options);
        var monitor = new Monitor(options);
        var metrics = new ReconcileMetrics(_meters.GetRequiredService<IMeterFactory>());
        // The client's retry delays run on real time (milliseconds here); the business clock drives grace and polls.
        var client = new GeminiApiClient(new HttpClient(), monitor, clientTime ?? TimeProvider.System, metrics, NullLogger<GeminiApiClient>.Instance);
        var startup = new StoreStartup();
        startup.MarkInitialized();
        return (new JobReconciler(_store, startup, client, new OneHandler(), monitor, _time, metrics, NullLogger<JobReconciler>.Instance), client);
    }

    sealed class Monitor(GeminiHooksOptions value) : IOptionsMonitor<GeminiHooksOptions>
    {
        public GeminiHooksOptions CurrentValue => value;
        public GeminiHooksOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<GeminiHooksOptions, string?> listener) => null;
    }

    [Theory]
    [InlineData("batches/b1", """{"name":"batches/b1","metadata":{"state":"BATCH_STATE_SUCCEEDED","output":{"responsesFile":"files/out"}},"done":true}""", "batch.succeeded")]
    [InlineData("batches/b2", """{"name":"batches/b2","metadata":{"state":"BATCH_STATE_FAILED"},"done":true,"error":{"code":3,"message":"bad input"}}""", "batch.failed")]
    [InlineData("batches/b3", """{"name":"batches/b3","metadata":{"state":"JOB_STATE_EXPIRED"},"done":true}""", "batch.expired")]
    [InlineData("models/veo-3/operations/v1", """{"name":"models/veo-3/operations/v1","done":true,"response":{"generateVideoResponse":{"generatedSamples":[{"video":{"uri":"https://x/files/v:download"}}]}}}""", "video.generated")]
    [InlineData("interactions/i1", """{"id":"i1","status":"completed","outputs":[{"type":"text","text":"hi"}]}""", "interaction.completed")]
    public async Task A_job_that_ended_without_its_webhook_is_synthesized_once_after_grace(string name, string ended, string expectedType)
    {
        var gemini = new FakeGemini();
        await using var server = await LoopbackServer.StartAsync(gemini.Map);
        var (reconciler, _) = NewReconciler(server.Address);
        var key = JobNames.Parse(name)!.Value;
        gemini.Resources[name] = """{"name":"x","metadata":{"state":"BATCH_STATE_RUNNING"},"done":false,"status":"in_progress"}""";
        Assert.True(await Jobs.TrackAsync(name, key, _time.GetUtcNow(), Ct));

        await reconciler.RunOnceAsync(Ct); // running: next poll in PollInitial
        Assert.Equal(TrackedJobStatus.Open, (await Jobs.GetAsync(key, Ct))!.Status);
        gemini.Resources[name] = ended;
        _time.Advance(TimeSpan.FromMinutes(1));
        await reconciler.RunOnceAsync(Ct); // ended: grace starts
        Assert.Equal(TrackedJobStatus.Ended, (await Jobs.GetAsync(key, Ct))!.Status);
        _time.Advance(TimeSpan.FromMinutes(9));
        await reconciler.RunOnceAsync(Ct); // grace not over: nothing due
        Assert.Null((await Jobs.GetAsync(key, Ct))!.Outcome);
        _time.Advance(TimeSpan.FromMinutes(1));
        await reconciler.RunOnceAsync(Ct);
        var job = (await Jobs.GetAsync(key, Ct))!;
        Assert.Equal(TrackedJobStatus.Delivered, job.Status);
        Assert.True(job.Outcome!.Reconciled);
        Assert.Equal(expectedType, job.Outcome.EventType);
        Assert.Equal(3, gemini.Requests); // running, ended, after grace
        Assert.Equal("AIza-test-key", gemini.LastKey);

        var stored = await _store.GetEventAsync("reconciled", job.Outcome.WebhookId, Ct);
        Assert.Equal(expectedType, stored!.EventType);
        Assert.Single(stored.Handlers);
        var body = Encoding.UTF8.GetString(stored.Body!.Value.Span);
        // Interaction ids are bare in deliveries (v1_…), whatever path the job is tracked under.
        Assert.Contains($"\"id\":\"{(name.StartsWith("interactions/", StringComparison.Ordinal) ? name["interactions/".Length..] : name)}\"", body, StringComparison.Ordinal);

        // Further passes cost nothing and synthesize nothing; Gemini's late delivery (short id) is not dispatched.
        _time.Advance(TimeSpan.FromHours(1));
        await reconciler.RunOnceAsync(Ct);
        Assert.Equal(3, gemini.Requests);
        Assert.Equal(AcceptOutcome.Superseded, await _store.AcceptAsync(Terminal("late", expectedType, key.JobId), Ct));
        var page = await _store.ListEventsAsync(new EventQuery(), Ct);
        Assert.Equal(1, page.Events.Count(e => e.Handlers.Count > 0));
    }

    [Fact]
    public async Task A_delivery_within_grace_means_no_synthesis_and_no_further_polls()
    {
        var gemini = new FakeGemini();
        await using var server = await LoopbackServer.StartAsync(gemini.Map);
        var (reconciler, _) = NewReconciler(server.Address);
        var key = JobNames.Parse("batches/g1")!.Value;
        gemini.Resources["batches/g1"] = """{"name":"batches/g1","metadata":{"state":"BATCH_STATE_SUCCEEDED"},"done":true}""";
        await Jobs.TrackAsync("batches/g1", key, _time.GetUtcNow(), Ct);
        await reconciler.RunOnceAsync(Ct);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(AcceptOutcome.Accepted, await _store.AcceptAsync(Terminal("real", "batch.succeeded", "batches/g1"), Ct));
        _time.Advance(TimeSpan.FromMinutes(10));
        await reconciler.RunOnceAsync(Ct);
        var job = (await Jobs.GetAsync(key, Ct))!;
        Assert.Equal(TrackedJobStatus.Delivered, job.Status);
        Assert.False(job.Outcome!.Reconciled);
        Assert.Equal(1, gemini.Requests);
        Assert.Null(await _store.GetEventAsync("reconciled", JobReconciler.ReconciledWebhookId(key, "batch.succeeded"), Ct));
    }

    [Fact]
    public async Task A_late_conflicting_type_is_recorded_and_not_dispatched()
    {
        var gemini = new FakeGemini();
        await using var server = await LoopbackServer.StartAsync(gemini.Map);
        var (reconciler, _) = NewReconciler(server.Address, o => o.Reconcile.Grace = TimeSpan.Zero);
        var key = JobNames.Parse("interactions/c1")!.Value;
        gemini.Resources["interactions/c1"] = """{"id":"c1","status":"failed","error":{"code":13,"message":"boom"}}""";
        await Jobs.TrackAsync("interactions/c1", key, _time.GetUtcNow(), Ct);
        await reconciler.RunOnceAsync(Ct);
        Assert.Equal("interaction.failed", (await Jobs.GetAsync(key, Ct))!.Outcome!.EventType);
        Assert.Equal(AcceptOutcome.Conflict, await _store.AcceptAsync(Terminal("late", "interaction.completed", "c1"), Ct));
        var job = (await Jobs.GetAsync(key, Ct))!;
        Assert.Equal(1, job.Outcome!.Conflicts);
        Assert.Empty((await _store.GetEventAsync("dynamic", "late", Ct))!.Handlers);
    }

    [Fact]
    public async Task Cancelled_jobs_have_no_event_type_and_nothing_is_invented()
    {
        var gemini = new FakeGemini();
        await using var server = await LoopbackServer.StartAsync(gemini.Map);
        var (reconciler, _) = NewReconciler(server.Address, o => o.Reconcile.Grace = TimeSpan.Zero);
        var key = JobNames.Parse("batches/x1")!.Value;
        gemini.Resources["batches/x1"] = """{"name":"batches/x1","done":true,"error":{"code":1,"message":"cancelled"}}""";
        await Jobs.TrackAsync("batches/x1", key, _time.GetUtcNow(), Ct);
        await reconciler.RunOnceAsync(Ct);
        var job = (await Jobs.GetAsync(key, Ct))!;
        Assert.Equal(TrackedJobStatus.NoEventType, job.Status);
        Assert.Null(job.Outcome);
        Assert.Empty((await _store.ListEventsAsync(new EventQuery(), Ct)).Events);
    }

    [Fact]
    public async Task Api_faults_are_retried_with_backoff_nothing_is_lost_and_the_budget_holds()
    {
        var gemini = new FakeGemini();
        await using var server = await LoopbackServer.StartAsync(gemini.Map);
        var (reconciler, client) = NewReconciler(server.Address, o =>
        {
            o.Reconcile.Grace = TimeSpan.Zero;
            o.Gemini.MaxRetries = 2;
            o.Gemini.RequestBudgetPerMinute = 5;
        });
        var key = JobNames.Parse("batches/f1")!.Value;
        gemini.Resources["batches/f1"] = """{"name":"batches/f1","metadata":{"state":"BATCH_STATE_SUCCEEDED"},"done":true}""";
        await Jobs.TrackAsync("batches/f1", key, _time.GetUtcNow(), Ct);
        // 429, 500, 503: the first pass retries twice and gives up; the job stays open with its error, polled later.
        foreach (var status in new[] { 429, 500, 503 })
            gemini.Faults.Enqueue(status);
        await reconciler.RunOnceAsync(Ct);
        var job = (await Jobs.GetAsync(key, Ct))!;
        Assert.Equal(TrackedJobStatus.Open, job.Status);
        Assert.Contains("HTTP 503", job.LastError, StringComparison.Ordinal);
        Assert.Equal(3, gemini.Requests);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(1), job.NextPollAt);
        // Before the next poll is due nothing is asked; once due, the job is synthesized.
        await reconciler.RunOnceAsync(Ct);
        Assert.Equal(3, gemini.Requests);
        _time.Advance(TimeSpan.FromMinutes(1));
        await reconciler.RunOnceAsync(Ct);
        Assert.True((await Jobs.GetAsync(key, Ct))!.Outcome!.Reconciled);
        Assert.Equal(4, gemini.Requests);

        // The budget, on the business clock (no retries, so no delays): five requests a minute, then none until the next.
        var (_, budgeted) = NewReconciler(server.Address, o =>
        {
            o.Gemini.MaxRetries = 0;
            o.Gemini.RequestBudgetPerMinute = 5;
        }, clientTime: _time);
        _time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(_time.GetUtcNow().Ticks % TimeSpan.TicksPerMinute));
        for (var i = 0; i < 10; i++)
            gemini.Faults.Enqueue(500);
        var answers = new List<int>();
        for (var i = 0; i < 8; i++)
            answers.Add((await budgeted.GetAsync("batches/f1", Ct)).Status);
        Assert.Equal([500, 500, 500, 500, 500, 0, 0, 0], answers);
        Assert.Equal(4 + 5, gemini.Requests);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(500, (await budgeted.GetAsync("batches/f1", Ct)).Status);
        Assert.Equal(4 + 6, gemini.Requests);
        Assert.Equal(6, budgeted.Requests);
    }

    sealed class CapturingLogger<T> : Microsoft.Extensions.Logging.ILogger<T>
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
                Lines.Add(formatter(state, exception) + " " + string.Join(" ", (state as IEnumerable<KeyValuePair<string, object?>>
                    ?? []).Select(p => p.Value?.ToString())));
        }
    }

    [Fact]
    public async Task The_api_key_reaches_the_api_and_never_a_log_line()
    {
        var gemini = new FakeGemini();
        await using var server = await LoopbackServer.StartAsync(gemini.Map);
        var options = new GeminiHooksOptions();
        options.Gemini.BaseUrl = server.Address;
        options.Gemini.ApiKey = "AIza-never-logged-0c7b";
        options.Gemini.RetryInitial = TimeSpan.FromMilliseconds(10);
        options.Gemini.RetryMax = TimeSpan.FromMilliseconds(50);
        options.Gemini.MaxRetries = 2;
        var logger = new CapturingLogger<GeminiApiClient>();
        var client = new GeminiApiClient(new HttpClient(), new Monitor(options), TimeProvider.System,
            new ReconcileMetrics(_meters.GetRequiredService<IMeterFactory>()), logger);
        gemini.Faults.Enqueue(429);
        gemini.Faults.Enqueue(503);
        gemini.Faults.Enqueue(500);
        var answer = await client.GetAsync("batches/k1", Ct);
        Assert.Equal(500, answer.Status);
        Assert.Equal("AIza-never-logged-0c7b", gemini.LastKey);
        Assert.Equal(2, logger.Lines.Count); // one line per retry
        Assert.All(logger.Lines, l => Assert.DoesNotContain("never-logged", l, StringComparison.Ordinal));
        Assert.DoesNotContain("never-logged", GeminiApiClient.Describe(answer), StringComparison.Ordinal);
    }
}
