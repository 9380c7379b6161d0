using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace GeminiHooks.Server.Tests.Operations;

public class MetricsTests
{
    [Fact]
    public async Task After_a_known_mix_of_deliveries_a_scrape_of_the_metrics_port_shows_exactly_those_counts()
    {
        var port = ChildProcess.FreePort();
        var metricsPort = ChildProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Metrics__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Admin__ApiKey"] = "metrics-admin-key-0123456789abcd",
            ["GeminiHooks__Handlers__archive__Type"] = "log",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await server.WaitUntilUpAsync(client);

        async Task Send(HttpRequestMessage request, HttpStatusCode status)
        {
            using (request)
            using (var response = await client.SendAsync(request))
                Assert.Equal(status, response.StatusCode);
        }
        foreach (var id in new[] { "msg_m1", "msg_m2", "msg_m3" })
            await Send(ServerProcess.Delivery(id), HttpStatusCode.OK);
        await Send(ServerProcess.Delivery("msg_m1"), HttpStatusCode.OK); // duplicate
        await Send(ServerProcess.Delivery("msg_m2"), HttpStatusCode.OK); // duplicate
        await Send(ServerProcess.Delivery("msg_m4", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), HttpStatusCode.Unauthorized);
        await Send(Receiver.Delivery("/webhooks/gemini", "msg_m5", "1", null, Receiver.Event()), HttpStatusCode.BadRequest);

        // Let the three accepted events be dispatched before the first scrape, so the backlog gauge is read after.
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "metrics-admin-key-0123456789abcd");
        await Eventually.UntilAsync(async () => (await client.GetStringAsync("/admin/backlog")).Contains("\"succeeded\":3", StringComparison.Ordinal),
            "the three events are dispatched", TimeSpan.FromSeconds(15));

        // The backlog gauge shows its last count and refreshes it in the background when older than 5 s (a scrape
        // never waits for the store): scrape until it shows the dispatched three.
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        var scrape = "";
        await Eventually.UntilAsync(async () =>
        {
            scrape = await metrics.GetStringAsync("/metrics");
            return Prometheus.Value(scrape, "geminihooks_backlog", ("status", "succeeded")) == 3;
        }, "the backlog gauge shows the three dispatched events", TimeSpan.FromSeconds(15));
        var deliveries = "geminihooks_deliveries_total";
        Assert.Equal(3, Prometheus.Value(scrape, deliveries, ("endpoint", "static"), ("outcome", "accepted")));
        Assert.Equal(2, Prometheus.Value(scrape, deliveries, ("endpoint", "static"), ("outcome", "duplicate")));
        Assert.Equal(2, Prometheus.Value(scrape, deliveries, ("endpoint", "static"), ("outcome", "rejected")));
        Assert.Equal(7, Prometheus.Value(scrape, deliveries));
        Assert.Equal(1, Prometheus.Value(scrape, "geminihooks_verification_failures_total", ("reason", "missing_webhook_signature")));
        Assert.Equal(2, Prometheus.Value(scrape, "geminihooks_verification_failures_total"));
        Assert.Equal(7, Prometheus.Value(scrape, "geminihooks_ingest_duration_seconds_count"));
        Assert.Equal(3, Prometheus.Value(scrape, "geminihooks_handler_runs_total", ("handler", "archive"), ("outcome", "succeeded")));
        Assert.Equal(3, Prometheus.Value(scrape, "geminihooks_handler_runs_total"));
        Assert.Equal(3, Prometheus.Value(scrape, "geminihooks_dispatch_lag_seconds_count"));
        Assert.Equal(0, Prometheus.Value(scrape, "geminihooks_dead_letters_total"));
        Assert.Equal(3, Prometheus.Value(scrape, "geminihooks_backlog", ("status", "succeeded")));
        Assert.Equal(0, Prometheus.Value(scrape, "geminihooks_backlog", ("status", "pending")));

        // On its own port, the scrape endpoint is not on the public listener.
        using var publicScrape = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, publicScrape.StatusCode);

        // And the metrics port serves the scrape only: no health, admin or delivery endpoint answers there.
        foreach (var path in new[] { "/healthz", "/readyz", "/admin/backlog", "/admin" })
        {
            using var other = new HttpRequestMessage(HttpMethod.Get, path);
            other.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "metrics-admin-key-0123456789abcd");
            using var refused = await metrics.SendAsync(other);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }
        using var delivery = ServerProcess.Delivery("msg_on_metrics_port");
        using var notDelivered = await metrics.SendAsync(delivery);
        Assert.Equal(HttpStatusCode.NotFound, notDelivered.StatusCode);
    }
}

/// <summary>Reads the Prometheus text format: the sum of a metric's samples whose labels include the given ones.</summary>
static class Prometheus
{
    public static double Value(string scrape, string metric, params (string Name, string Value)[] labels)
    {
        double sum = 0;
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith('#') || !(line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal)))
                continue;
            if (!labels.All(l => line.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
                continue;
            var value = line[(line.LastIndexOf(' ') + 1)..].Trim();
            sum += double.Parse(value, CultureInfo.InvariantCulture);
        }
        return sum;
    }
}
