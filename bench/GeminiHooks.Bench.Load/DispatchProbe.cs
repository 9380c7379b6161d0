using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Bench.Load;

/// <summary>
/// Times dispatch on an idle service, one delivery at a time. The service runs an <c>http</c> handler pointed at the
/// probe's own loopback listener, so the probe sees both ends: when the receiver answered 2xx (accepted) and when the
/// handler's request arrived (handler start).
/// <list type="bullet">
/// <item><c>--mode latency</c>: accept → handler start, per delivery.</item>
/// <item><c>--mode retry</c>: the listener fails the first attempt of every delivery with a 500; the service logs the
/// time it will retry at (its <c>RetryAt</c>), and the probe measures how late the second attempt arrives after it.</item>
/// </list>
/// Prints one <c>PROBE</c> line with p50, p99 and max in milliseconds.
/// </summary>
static class DispatchProbe
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var mode = args.Required("mode");
        if (mode is not ("latency" or "retry"))
            throw new ArgumentException("--mode must be latency or retry");
        var url = new Uri(args.Required("url"));
        var port = args.Int("port", 18792);
        var count = args.Int("count", 200);
        // The first deliveries meet cold code paths (JIT, connection set-up): sent, but not measured.
        var warmup = args.Int("warmup", 20);
        var interval = TimeSpan.FromMilliseconds(args.Int("interval-ms", 50));
        var key = StandardWebhooks.DecodeSecret(KeyMaterial.Secret(args.Required("keys")));
        var serviceLog = mode == "retry" ? args.Required("log") : null;

        // Arrival times of the handler's requests per webhook-id, as UTC (the service's RetryAt is UTC too).
        var arrivals = new ConcurrentDictionary<string, List<DateTimeOffset>>(StringComparer.Ordinal);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        await using var app = builder.Build();
        app.MapPost("/handler", (HttpContext context) =>
        {
            var now = DateTimeOffset.UtcNow;
            var id = context.Request.Headers["webhook-id"].ToString();
            var times = arrivals.GetOrAdd(id, _ => []);
            int attempt;
            lock (times)
            {
                times.Add(now);
                attempt = times.Count;
            }
            return Results.StatusCode(mode == "retry" && attempt == 1 ? 500 : 200);
        });
        await app.StartAsync();

        using var client = new HttpClient();
        var run = Guid.NewGuid().ToString("N")[..8];
        var accepted = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        for (var i = -warmup; i < count; i++)
        {
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var (id, body) = DeliveryFiles.Delivery("probe", run, i + warmup, timestamp);
            var bytes = Encoding.UTF8.GetBytes(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("webhook-id", id);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", StandardWebhooks.SignV1(key, id, timestamp, bytes));
            using var response = await client.SendAsync(request);
            if (i >= 0)
                accepted[id] = DateTimeOffset.UtcNow;
            if (!response.IsSuccessStatusCode)
                throw new ArgumentException($"the service answered {(int)response.StatusCode} to a probe delivery");
            await Task.Delay(interval);
        }

        // Wait for every handler run to arrive (twice in retry mode), at most 30 s past the last delivery.
        var wanted = mode == "retry" ? 2 : 1;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30) &&
               accepted.Keys.Any(id => !arrivals.TryGetValue(id, out var t) || Count(t) < wanted))
            await Task.Delay(50);
        await app.StopAsync();

        var samples = new List<double>();
        var missing = 0;
        if (mode == "latency")
        {
            foreach (var (id, at) in accepted)
            {
                if (arrivals.TryGetValue(id, out var times) && Count(times) >= 1)
                    samples.Add((times[0] - at).TotalMilliseconds);
                else
                    missing++;
            }
        }
        else
        {
            // The service's log line "... retry at {RetryAt}" is written a few milliseconds after the failure.
            await Task.Delay(500);
            var retryAt = RetryTimes(serviceLog!);
            foreach (var id in accepted.Keys)
            {
                if (arrivals.TryGetValue(id, out var times) && Count(times) >= 2 && retryAt.TryGetValue(id, out var due))
                    samples.Add((times[1] - due).TotalMilliseconds);
                else
                    missing++;
            }
        }
        samples.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PROBE mode={mode} warmup={warmup} n={samples.Count} missing={missing} p50_ms={Percentile(samples, 0.50):0.0} p99_ms={Percentile(samples, 0.99):0.0} max_ms={(samples.Count == 0 ? double.NaN : samples[^1]):0.0}"));
        return 0;
    }

    static int Count(List<DateTimeOffset> times)
    {
        lock (times)
            return times.Count;
    }

    static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>The first <c>RetryAt</c> the service logged per webhook-id (its JSON log, one event a line).</summary>
    static Dictionary<string, DateTimeOffset> RetryTimes(string logFile)
    {
        var due = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(logFile))
        {
            if (!line.Contains("\"RetryAt\"", StringComparison.Ordinal))
                continue;
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.TryGetProperty("WebhookId", out var id) && root.TryGetProperty("RetryAt", out var at) &&
                DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time))
                due.TryAdd(id.GetString()!, time);
        }
        return due;
    }
}
