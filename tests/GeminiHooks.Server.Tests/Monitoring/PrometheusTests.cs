using System.Text.RegularExpressions;

namespace GeminiHooks.Server.Tests.Monitoring;

/// <summary>
/// A real Prometheus scraping a real receiver after a known mix (see <see cref="MonitoredReceiver"/>): the counts it
/// stores, the alert rules it loads and fires, and the dashboard's queries it answers. The names test fails when a
/// metric rename breaks a panel or an alert.
/// </summary>
public partial class PrometheusTests(MonitoredReceiver receiver) : IClassFixture<MonitoredReceiver>
{
    static readonly TimeSpan ScrapeWait = TimeSpan.FromSeconds(30);

    /// <summary>Metrics that are Prometheus's own, not the receiver's.</summary>
    static readonly HashSet<string> PrometheusOwn = new(StringComparer.Ordinal) { "up" };

    [Fact]
    public void Every_metric_the_alert_rules_and_the_dashboard_name_is_in_a_scrape_of_the_receiver()
    {
        var exported = MetricFamilies(receiver.Scrape);
        var referenced = MonitoringFiles.Alerts().Select(a => ("alert " + a.Alert, a.Expr))
            .Concat(MonitoringFiles.Panels().SelectMany(p => p.Exprs.Select(e => ("panel " + p.Title, e))))
            .SelectMany(x => MonitoringFiles.MetricNames(x.Item2).Select(name => (Where: x.Item1, Name: name)))
            .ToList();
        Assert.True(referenced.Count > 20, "too few metric references found: " + referenced.Count);
        var missing = referenced.Where(r => !exported.Contains(r.Name) && !PrometheusOwn.Contains(r.Name))
            .Select(r => $"{r.Where}: {r.Name}").ToList();
        Assert.True(missing.Count == 0, "not in the scrape: " + string.Join("; ", missing));
    }

    [Fact]
    public void Every_metric_of_the_receiver_has_a_panel_on_the_dashboard()
    {
        var onDashboard = MonitoringFiles.Panels().SelectMany(p => p.Exprs).SelectMany(MonitoringFiles.MetricNames)
            .Select(BaseName).ToHashSet(StringComparer.Ordinal);
        var exported = MetricFamilies(receiver.Scrape).Where(n => n.StartsWith("geminihooks_", StringComparison.Ordinal)).Select(BaseName).ToHashSet();
        Assert.NotEmpty(exported);
        Assert.Empty(exported.Except(onDashboard));
    }

    [Fact]
    public void The_dashboard_takes_its_Prometheus_from_a_datasource_variable_on_every_panel_and_query()
    {
        var dashboard = MonitoringFiles.Dashboard();
        var variable = dashboard["templating"]!["list"]!.AsArray().Single(v => (string?)v!["name"] == "datasource")!;
        Assert.Equal("datasource", (string?)variable["type"]);
        Assert.Equal("prometheus", (string?)variable["query"]);
        var panels = dashboard["panels"]!.AsArray().Where(p => (string?)p!["type"] != "row").ToList();
        Assert.True(panels.Count >= 12);
        foreach (var panel in panels)
        {
            Assert.Equal("${datasource}", (string?)panel!["datasource"]!["uid"]);
            foreach (var target in panel["targets"]!.AsArray())
                Assert.Equal("${datasource}", (string?)target!["datasource"]!["uid"]);
        }
        // The panels the issue asks for, by their titles.
        var titles = panels.Select(p => (string)p!["title"]!).ToList();
        foreach (var wanted in new[] { "Deliveries by endpoint and outcome", "Verification failures by reason", "Ingest latency", "Dispatch lag",
                     "Backlog", "Retries by handler", "Dead letters by handler", "JWKS refreshes" })
            Assert.Contains(wanted, titles);
    }

    [Fact]
    public async Task Prometheus_scraping_the_receiver_stores_the_counts_of_the_known_mix()
    {
        var prometheus = receiver.Prometheus;
        await prometheus.WaitForValueAsync("""max(geminihooks_backlog{job="geminihooks",status="dead"})""", MonitoredReceiver.AcceptedFailing, ScrapeWait);
        Assert.Equal(1, await prometheus.ValueAsync("""up{job="geminihooks"}"""));
        Assert.Equal(1, await prometheus.ValueAsync("geminihooks_ready"));

        async Task<double> Deliveries(string outcome) =>
            await prometheus.ValueAsync($$"""sum(geminihooks_deliveries_total{endpoint="static",outcome="{{outcome}}"})""");
        Assert.Equal(MonitoredReceiver.Accepted, await Deliveries("accepted"));
        Assert.Equal(MonitoredReceiver.Duplicates, await Deliveries("duplicate"));
        Assert.Equal(MonitoredReceiver.Unauthorized + MonitoredReceiver.Malformed, await Deliveries("rejected"));
        Assert.Equal(0, await Deliveries("unavailable"));
        Assert.Equal(1, await prometheus.ValueAsync("""sum(geminihooks_verification_failures_total{reason="missing_webhook_signature"})"""));
        Assert.Equal(2, await prometheus.ValueAsync("sum(geminihooks_verification_failures_total)"));
        Assert.Equal(11, await prometheus.ValueAsync("sum(geminihooks_ingest_duration_seconds_count)"));

        async Task<double> Runs(string handler, string outcome) =>
            await prometheus.ValueAsync($$"""sum(geminihooks_handler_runs_total{handler="{{handler}}",outcome="{{outcome}}"})""");
        Assert.Equal(MonitoredReceiver.Accepted, await Runs("archive", "succeeded"));
        Assert.Equal(MonitoredReceiver.AcceptedFailing, await Runs("forward", "retried"));
        Assert.Equal(MonitoredReceiver.AcceptedFailing, await Runs("forward", "dead_lettered"));
        Assert.Empty(await prometheus.QueryAsync("""geminihooks_handler_runs_total{handler="forward",outcome="succeeded"}"""));
        Assert.Equal(MonitoredReceiver.AcceptedFailing, await prometheus.ValueAsync("""sum(geminihooks_handler_retries_total{handler="forward"})"""));
        Assert.Equal(MonitoredReceiver.AcceptedFailing, await prometheus.ValueAsync("""sum(geminihooks_dead_letters_total{handler="forward"})"""));
        // First attempts only: one per accepted event for archive, one per failing event for forward.
        Assert.Equal(MonitoredReceiver.Accepted + MonitoredReceiver.AcceptedFailing, await prometheus.ValueAsync("sum(geminihooks_dispatch_lag_seconds_count)"));
        Assert.Equal(MonitoredReceiver.Accepted, await prometheus.ValueAsync("""max(geminihooks_backlog{status="succeeded"})"""));
        Assert.Equal(0, await prometheus.ValueAsync("""max(geminihooks_backlog{status="pending"})"""));
        Assert.Equal(0, await prometheus.ValueAsync("sum(geminihooks_server_errors_total)"));
    }

    [Fact]
    public async Task Prometheus_loads_every_alert_rule_and_fires_the_dead_letter_alert_and_no_other()
    {
        var prometheus = receiver.Prometheus;
        await prometheus.WaitForValueAsync("""count(ALERTS{alertname="GeminiHooksDeadLetters",alertstate="firing"})""", 1, ScrapeWait);

        var rules = (await prometheus.GetAsync("/api/v1/rules"))["data"]!["groups"]!.AsArray()
            .SelectMany(g => g!["rules"]!.AsArray()).ToList();
        Assert.Equal(MonitoringFiles.Alerts().Select(a => a.Alert).Order(), rules.Select(r => (string)r!["name"]!).Order());
        Assert.All(rules, r => Assert.True((string?)r!["health"] == "ok", r!.ToJsonString()));

        var active = (await prometheus.GetAsync("/api/v1/alerts"))["data"]!["alerts"]!.AsArray()
            .Select(a => $"{a!["labels"]!["alertname"]} {a["state"]}").ToList();
        // forward's last failed run left its circuit open (nothing is due to probe it): that alert waits its 10 minutes.
        Assert.Equal(["GeminiHooksDeadLetters firing", "GeminiHooksHandlerCircuitOpen pending"], active.Order(StringComparer.Ordinal));
        var firing = (await prometheus.QueryAsync("""ALERTS{alertname="GeminiHooksDeadLetters"}"""))[0]!;
        Assert.Equal("geminihooks", (string?)firing["metric"]!["job"]);
        Assert.Equal("warning", (string?)firing["metric"]!["severity"]);
    }

    public static TheoryData<string> PanelTitles() => new(MonitoringFiles.Panels().Select(p => p.Title));

    [Theory]
    [MemberData(nameof(PanelTitles))]
    public async Task Every_dashboard_panel_query_returns_data_from_Prometheus(string title)
    {
        var prometheus = receiver.Prometheus;
        // Rates need two samples of the settled counts.
        await prometheus.WaitForValueAsync("""count_over_time(geminihooks_ready[1m]) >= bool 3""", 1, ScrapeWait);
        foreach (var expr in MonitoringFiles.Panels().Single(p => p.Title == title).Exprs)
        {
            var query = MonitoringFiles.AsGrafanaSends(expr);
            var result = await prometheus.QueryAsync(query);
            Assert.True(result.Count > 0, $"{title}: {query} returned no series");
        }
    }

    /// <summary>The metric names in a Prometheus text scrape (the sample names, so histograms give _bucket/_sum/_count).</summary>
    static HashSet<string> MetricFamilies(string scrape) =>
        scrape.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => SampleName().Match(l).Value).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);

    static string BaseName(string name) => HistogramSuffix().Replace(name, "");

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SampleName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();
}
