using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>With a collector configured, the published server exports its spans and metrics over OTLP.</summary>
public class OtlpExportTests
{
    [Fact]
    public async Task With_a_collector_configured_spans_and_metrics_reach_it_over_OTLP()
    {
        await using var collector = await Collector.StartAsync();
        var port = ChildProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Metrics__OtlpEndpoint"] = collector.Url,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // Export quickly, so the test waits for seconds, not the default minute.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["GeminiHooks__Handlers__archive__Type"] = "log",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await server.WaitUntilUpAsync(client);
        using (var response = await client.SendAsync(ServerProcess.Delivery("msg_otlp_41c9")))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // OTLP is protobuf, whose strings are plain UTF-8: the span names and tag values show in the bytes.
        await Eventually.UntilAsync(() => Task.FromResult(collector.Received("/v1/traces", "geminihooks.handler") &&
                                                          collector.Received("/v1/traces", "msg_otlp_41c9") &&
                                                          collector.Received("/v1/metrics", "geminihooks.deliveries")),
            () => "the collector gets the spans and metrics; paths seen: " + string.Join(", ", collector.Paths), TimeSpan.FromSeconds(20));
        Assert.True(collector.Received("/v1/traces", "geminihooks.delivery"));
    }

    /// <summary>An OTLP/HTTP endpoint on loopback that keeps every request body.</summary>
    sealed class Collector : IAsyncDisposable
    {
        readonly ConcurrentQueue<(string Path, string Body)> _requests = new();
        LoopbackServer _server = null!;

        public string Url => _server.Address;
        public IEnumerable<string> Paths => _requests.Select(r => r.Path).Distinct();

        public bool Received(string path, string text) =>
            _requests.Any(r => r.Path == path && r.Body.Contains(text, StringComparison.Ordinal));

        public static async Task<Collector> StartAsync()
        {
            var collector = new Collector();
            collector._server = await LoopbackServer.StartAsync(app => app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                // Latin-1 keeps every byte, so UTF-8 ASCII names inside the protobuf survive as text.
                collector._requests.Enqueue((context.Request.Path.Value!, Encoding.Latin1.GetString(body.ToArray())));
                context.Response.ContentType = "application/x-protobuf";
                return Results.Bytes([], "application/x-protobuf");
            }));
            return collector;
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }
}
