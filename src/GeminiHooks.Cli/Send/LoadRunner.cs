using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Events;
using GeminiHooks.Cli.Signing;

namespace GeminiHooks.Cli.Send;

/// <summary>Sends <c>Count</c> deliveries with <c>Concurrency</c> workers and measures status codes and latency.</summary>
internal static class LoadRunner
{
    public static async Task<SendSummary> RunAsync(LoadOptions options, Func<DateTimeOffset, byte[]> bodyFactory, IDeliverySigner signer,
        CliIo io, TimeProvider time, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        options.ConfigureHandler?.Invoke(handler);
        using var http = new HttpClient(handler) { Timeout = options.Timeout };
        var stats = new Stats();
        var next = -1;
        var started = Stopwatch.StartNew();
        var showProgress = options.Count > 1;

        using var progressCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = showProgress ? ReportProgressAsync(stats, options, io, progressCts.Token) : Task.CompletedTask;

        var workers = Enumerable.Range(0, Math.Min(options.Concurrency, options.Count)).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < options.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var now = time.GetUtcNow();
                var id = SampleEvents.NewWebhookId();
                var timestamp = now.ToUnixTimeSeconds() + options.TimestampSkewSeconds;
                var body = bodyFactory(now);
                var signature = signer.Sign(id, timestamp, body);
                var sends = options.Duplicate ? 2 : 1;
                for (var i = 0; i < sends; i++)
                    await SendOneAsync(http, options, id, timestamp, body, signature, stats, io, cancellationToken);
            }
        }).ToList();
        try
        {
            await Task.WhenAll(workers);
        }
        finally
        {
            await progressCts.CancelAsync();
            await progress;
        }
        started.Stop();
        if (showProgress)
            await io.Err.WriteLineAsync();
        return stats.Summarize(started.Elapsed);
    }

    static async Task SendOneAsync(HttpClient http, LoadOptions options, string id, long timestamp, byte[] body, string signature,
        Stats stats, CliIo io, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("webhook-id", id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        // A JWT or a signature list: not a header the validating parser knows, so add it verbatim.
        request.Headers.TryAddWithoutValidation("webhook-signature", signature);
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            watch.Stop();
            stats.Record(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), response.IsSuccessStatusCode, watch.Elapsed);
            if (options.Verbose)
                await io.Err.WriteLineAsync($"{id} -> {(int)response.StatusCode} {Truncate(answer)}");
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Connection refused or timeout: counted, not fatal, so a load run reports how many failed.
            watch.Stop();
            stats.Record(e is TaskCanceledException ? "timeout" : "error", false, watch.Elapsed);
            if (options.Verbose || options.Count == 1)
                await io.Err.WriteLineAsync($"{id} -> {(e is TaskCanceledException ? "timeout" : e.Message)}");
        }
    }

    static async Task ReportProgressAsync(Stats stats, LoadOptions options, CliIo io, CancellationToken cancellationToken)
    {
        var total = options.Count * (options.Duplicate ? 2 : 1);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
                await io.Err.WriteAsync($"\rsent {stats.Sent}/{total}  ok {stats.Succeeded}  failed {stats.Failed}   ");
        }
        catch (OperationCanceledException)
        {
            // The run finished.
        }
        await io.Err.WriteAsync($"\rsent {stats.Sent}/{total}  ok {stats.Succeeded}  failed {stats.Failed}   ");
    }

    static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    sealed class Stats
    {
        readonly Lock _lock = new();
        readonly List<double> _latenciesMs = [];
        readonly SortedDictionary<string, int> _statuses = new(StringComparer.Ordinal);
        int _succeeded;
        int _failed;

        public int Sent { get { lock (_lock) return _succeeded + _failed; } }
        public int Succeeded { get { lock (_lock) return _succeeded; } }
        public int Failed { get { lock (_lock) return _failed; } }

        public void Record(string status, bool success, TimeSpan latency)
        {
            lock (_lock)
            {
                _latenciesMs.Add(latency.TotalMilliseconds);
                _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
                if (success) _succeeded++; else _failed++;
            }
        }

        public SendSummary Summarize(TimeSpan elapsed)
        {
            lock (_lock)
            {
                var sorted = _latenciesMs.Order().ToArray();
                return new SendSummary(
                    _succeeded + _failed, _succeeded, _failed, Math.Round(elapsed.TotalMilliseconds, 1),
                    Math.Round((_succeeded + _failed) / Math.Max(elapsed.TotalSeconds, 1e-6), 1),
                    Percentile(sorted, 0.50), Percentile(sorted, 0.99), new SortedDictionary<string, int>(_statuses, StringComparer.Ordinal));
            }
        }

        static double Percentile(double[] sorted, double p) =>
            sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)], 2);
    }
}
