using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Monitoring;

/// <summary>
/// The published server with a metrics port, after a known mix of deliveries, and a real Prometheus scraping it.
/// Handlers: <c>archive</c> (log, takes everything, succeeds) and <c>forward</c> (http, takes batch.failed only, to a
/// loopback server that always answers 500; two attempts, so one retry and then a dead letter per event).
/// </summary>
public sealed class MonitoredReceiver : IAsyncLifetime
{
    public const string AdminKey = "monitoring-admin-key-81c2-012345";

    /// <summary>The mix: what was sent, and so what every count must be.</summary>
    public const int Accepted = 6, AcceptedFailing = 2, Duplicates = 3, Unauthorized = 1, Malformed = 1;

    Downstream? _downstream;
    Downstream? _notifications;
    ServerProcess? _server;

    public PrometheusServer Prometheus { get; private set; } = null!;
    public string MetricsTarget { get; private set; } = "";

    /// <summary>A scrape of /metrics taken after every delivery was dispatched.</summary>
    public string Scrape { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _downstream = await Downstream.StartAsync();
        _notifications = await Downstream.StartAsync();
        _notifications.Succeed = true;
        var port = ChildProcess.FreePort();
        var metricsPort = ChildProcess.FreePort();
        _server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Metrics__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Admin__ApiKey"] = AdminKey,
            ["GeminiHooks__Dispatch__MaxAttempts"] = "2",
            ["GeminiHooks__Dispatch__RetryBaseDelay"] = "00:00:00.200",
            ["GeminiHooks__Dispatch__RetryMaxDelay"] = "00:00:00.500",
            ["GeminiHooks__Handlers__archive__Type"] = "log",
            ["GeminiHooks__Handlers__forward__Type"] = "http",
            ["GeminiHooks__Handlers__forward__Url"] = _downstream.Url,
            ["GeminiHooks__Handlers__forward__Secret"] = Receiver.Secret,
            ["GeminiHooks__Handlers__forward__Events__0"] = "batch.failed",
            // Two failures in a row open forward's circuit (a transition); archive's rate limit holds back the runs
            // of a burst (deferred runs). Neither changes the counts below, only when they are reached.
            ["GeminiHooks__Handlers__forward__CircuitBreaker__FailureThreshold"] = "2",
            ["GeminiHooks__Handlers__forward__CircuitBreaker__BreakDuration"] = "00:00:00.500",
            ["GeminiHooks__Handlers__archive__RateLimit__PerSecond"] = "10",
            // The dead letters are told to a sink of their own (one message for both).
            ["GeminiHooks__Notify__Type"] = "http",
            ["GeminiHooks__Notify__Url"] = _notifications.Url,
            ["GeminiHooks__Notify__Secret"] = Receiver.Secret,
            ["GeminiHooks__Notify__Events__0"] = "dead_letter",
            ["GeminiHooks__Notify__MinInterval"] = "00:00:01",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await _server.WaitUntilUpAsync(client);

        async Task Send(HttpRequestMessage request, HttpStatusCode expected, string status)
        {
            using (request)
            using (var response = await client.SendAsync(request))
            {
                Assert.Equal(expected, response.StatusCode);
                if (expected == HttpStatusCode.OK)
                    Assert.Contains($"\"{status}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        // Each failing delivery is of a job of its own: later deliveries of one job are followers, never handled again.
        var failed = Enumerable.Range(0, AcceptedFailing + 1).Select(_ => Receiver.Event("batch.failed")).ToArray();
        for (var i = 1; i <= Accepted - AcceptedFailing; i++)
            await Send(ServerProcess.Delivery($"msg_ok_{i}"), HttpStatusCode.OK, "accepted");
        for (var i = 1; i <= AcceptedFailing; i++)
            await Send(ServerProcess.Delivery($"msg_failing_{i}", failed[i]), HttpStatusCode.OK, "accepted");
        await Send(ServerProcess.Delivery("msg_ok_1"), HttpStatusCode.OK, "duplicate");
        await Send(ServerProcess.Delivery("msg_ok_2"), HttpStatusCode.OK, "duplicate");
        await Send(ServerProcess.Delivery("msg_failing_1", failed[1]), HttpStatusCode.OK, "duplicate");
        await Send(ServerProcess.Delivery("msg_forged", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), HttpStatusCode.Unauthorized, "");
        await Send(Receiver.Delivery("/webhooks/gemini", "msg_unsigned", "1", null, Receiver.Event()), HttpStatusCode.BadRequest, "");

        // Every pair settled: the archive runs succeeded, the forward runs dead after their retry.
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        JsonNode? backlog = null;
        await Eventually.UntilAsync(async () =>
        {
            backlog = JsonNode.Parse(await client.GetStringAsync("/admin/backlog"))!;
            return (long)backlog["succeeded"]! == Accepted && (long)backlog["dead"]! == AcceptedFailing;
        }, () => "the mix is dispatched: " + backlog?.ToJsonString(), TimeSpan.FromSeconds(30));

        MetricsTarget = $"127.0.0.1:{metricsPort}";
        using var metrics = new HttpClient { BaseAddress = new Uri("http://" + MetricsTarget) };
        // The backlog gauge is cached for 5 s: scrape until it shows the settled counts.
        await Eventually.UntilAsync(async () =>
        {
            Scrape = await metrics.GetStringAsync("/metrics");
            // The handler state is read every 5 s as well: wait for it to have seen forward's circuit open.
            return Scrape.Contains("geminihooks_backlog{otel_scope_name=\"GeminiHooks\",status=\"dead\"} 2", StringComparison.Ordinal)
                && Scrape.Contains("geminihooks_handler_circuit_transitions_total{", StringComparison.Ordinal)
                && Scrape.Contains("geminihooks_notifications_total{", StringComparison.Ordinal);
        }, () => "the backlog gauge shows the dead letters, a circuit transition and a notification are counted: " + Scrape, TimeSpan.FromSeconds(20));
        Prometheus = await PrometheusServer.StartAsync(MetricsTarget);
    }

    public async Task DisposeAsync()
    {
        if (Prometheus is not null)
            await Prometheus.DisposeAsync();
        if (_server is not null)
            await _server.DisposeAsync();
        if (_downstream is not null)
            await _downstream.DisposeAsync();
        if (_notifications is not null)
            await _notifications.DisposeAsync();
    }
}
