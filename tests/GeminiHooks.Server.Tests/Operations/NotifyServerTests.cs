using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary><c>Notify</c> in the server as it ships: a dead letter reaches a person, and the scrape counts the message.</summary>
public class NotifyServerTests
{
    [Fact]
    public async Task A_dead_letter_is_notified_counted_in_the_scrape_and_the_url_token_is_never_logged()
    {
        await using var sink = await LoopbackReceiver.StartAsync();
        const string tokenPath = "/services/T0001/B0002/xoxb-server-secret-token";
        var port = ChildProcess.FreePort();
        var metricsPort = ChildProcess.FreePort();
        var closed = ChildProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Metrics__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            // A downstream that is not there, tried once: the event is dead-lettered at once.
            ["GeminiHooks__Handlers__forward__Type"] = "slack",
            ["GeminiHooks__Handlers__forward__Url"] = $"http://127.0.0.1:{closed}/hook",
            ["GeminiHooks__Handlers__forward__Retry__MaxAttempts"] = "1",
            ["GeminiHooks__Notify__Type"] = "slack",
            ["GeminiHooks__Notify__Url"] = sink.Url(tokenPath),
            ["GeminiHooks__Notify__MinInterval"] = "00:00:01",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await server.WaitUntilUpAsync(client);
        using (var delivery = ServerProcess.Delivery("msg_notify_1"))
        using (var accepted = await client.SendAsync(delivery))
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);

        var message = await Eventually.FindAsync(() => Task.FromResult(sink.Requests.FirstOrDefault()), "the dead letter is notified",
            TimeSpan.FromSeconds(30));
        Assert.Equal(tokenPath, message.Path);
        Assert.StartsWith("GeminiHooks: 1 dead letter", (string)JsonNode.Parse(message.Body)!["text"]!, StringComparison.Ordinal);
        Assert.Contains("msg_notify_1 (forward)", message.Body, StringComparison.Ordinal);

        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        // Counted once the sink answered, which is just after it took the message in.
        await Eventually.UntilAsync(async () => Prometheus.Value(await metrics.GetStringAsync("/metrics"), "geminihooks_notifications_total",
            ("kind", "dead_letter"), ("result", "sent")) == 1, "the scrape counts the message", TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("xoxb-server-secret-token", server.Log, StringComparison.Ordinal);
    }
}
