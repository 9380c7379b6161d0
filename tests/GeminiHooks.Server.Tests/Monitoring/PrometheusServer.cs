using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Monitoring;

/// <summary>
/// Debian's prometheus on a free loopback port, with a throwaway data folder under /tmp, scraping one target every
/// second and evaluating deploy/prometheus/alerts.yml every second. Killed (and its folder deleted) on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _output;
    readonly TempDirectory _data;
    readonly HttpClient _http;

    PrometheusServer(Process process, StringBuilder output, TempDirectory data, int port)
    {
        _process = process;
        _output = output;
        _data = data;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Log
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static async Task<PrometheusServer> StartAsync(string target)
    {
        var data = new TempDirectory();
        var config = data.File("prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
              - {MonitoringFiles.RulesFile}
            scrape_configs:
              - job_name: geminihooks
                static_configs:
                  - targets: ["{target}"]
            """);
        var port = PublishedServer.FreePort();
        var process = PublishedServer.Start(PrometheusPackage.Prometheus,
        [
            "--config.file=" + config,
            "--storage.tsdb.path=" + data.File("tsdb"),
            "--storage.tsdb.retention.time=1h",
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--log.level=warn",
        ], data.Path, new Dictionary<string, string>(), out var output);
        var server = new PrometheusServer(process, output, data, port);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException("prometheus exited: " + server.Log);
            try
            {
                using var ready = await server._http.GetAsync("/-/ready");
                if (ready.IsSuccessStatusCode)
                    return server;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException("prometheus was not ready in 30 s: " + server.Log);
            }
            await Task.Delay(100);
        }
    }

    /// <summary>An instant query through the HTTP API: the result vector (throws on an error answer).</summary>
    public async Task<JsonArray> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if ((string?)body["status"] != "success")
            throw new InvalidOperationException($"query {promql} failed: {body.ToJsonString()}");
        return body["data"]!["result"]!.AsArray();
    }

    /// <summary>The value of a query that yields one sample (NaN when it yields none).</summary>
    public async Task<double> ValueAsync(string promql)
    {
        var result = await QueryAsync(promql);
        return result.Count == 0 ? double.NaN : Sample(result[0]!);
    }

    static double Sample(JsonNode series) =>
        double.Parse((string)series["value"]![1]!, CultureInfo.InvariantCulture);

    /// <summary>Polls a query until it yields <paramref name="expected"/> (scrapes and rule evaluation run every second).</summary>
    public async Task WaitForValueAsync(string promql, double expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        double last;
        while ((last = await ValueAsync(promql)) != expected)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{promql} was {last}, not {expected}, after {timeout}; prometheus log: {Log}");
            await Task.Delay(250);
        }
    }

    public async Task<JsonNode> GetAsync(string path) =>
        JsonNode.Parse(await _http.GetStringAsync(path))!;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        finally
        {
            _process.Dispose();
            _http.Dispose();
            _data.Dispose();
        }
    }
}
