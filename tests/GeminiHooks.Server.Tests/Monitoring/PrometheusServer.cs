using System.Globalization;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Monitoring;

/// <summary>
/// Debian's prometheus on a free loopback port, with a throwaway data folder under /tmp, scraping one target every
/// second and evaluating deploy/prometheus/alerts.yml every second. Killed (and its folder deleted) on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    readonly ChildProcess _process;
    readonly TempDirectory _data;
    readonly HttpClient _http;

    PrometheusServer(ChildProcess process, TempDirectory data, int port)
    {
        _process = process;
        _data = data;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Log => _process.Log;

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
        var port = ChildProcess.FreePort();
        var process = ChildProcess.Start(PrometheusPackage.Prometheus,
        [
            "--config.file=" + config,
            "--storage.tsdb.path=" + data.File("tsdb"),
            "--storage.tsdb.retention.time=1h",
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--log.level=warn",
        ], data.Path);
        var server = new PrometheusServer(process, data, port);
        try
        {
            await process.WaitUntilAnswersAsync(server._http, "/-/ready", TimeSpan.FromSeconds(30));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
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
        var last = double.NaN;
        await Eventually.UntilAsync(async () => (last = await ValueAsync(promql)) == expected,
            () => $"{promql} is {expected} (it was {last}); prometheus log: {Log}", timeout);
    }

    public async Task<JsonNode> GetAsync(string path) =>
        JsonNode.Parse(await _http.GetStringAsync(path))!;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            _http.Dispose();
            _data.Dispose();
        }
    }
}
