using YamlDotNet.RepresentationModel;

namespace GeminiHooks.Server.Tests.Monitoring;

/// <summary>deploy/prometheus/alerts.yml checked and unit-tested by promtool (alerts.test.yml).</summary>
public class AlertRuleTests
{
    [Fact]
    public async Task Promtool_check_rules_accepts_the_alert_rules()
    {
        var (exitCode, output) = await PrometheusPackage.PromtoolAsync("check", "rules", "alerts.yml");
        Assert.True(exitCode == 0, output);
        Assert.Contains($"SUCCESS: {MonitoringFiles.Alerts().Count} rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_test_rules_passes_every_case_of_the_rule_tests()
    {
        var (exitCode, output) = await PrometheusPackage.PromtoolAsync("test", "rules", "alerts.test.yml");
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    public static TheoryData<string> AlertNames() => new(MonitoringFiles.Alerts().Select(a => a.Alert));

    [Theory]
    [MemberData(nameof(AlertNames))]
    public void Every_alert_has_a_runbook_line_and_a_firing_and_a_quiet_case_in_the_rule_tests(string alert)
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(MonitoringFiles.RulesFile))
            yaml.Load(reader);
        var rule = ((YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"]).Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())
            .Single(r => ((YamlScalarNode)r["alert"]).Value == alert);
        var runbook = ((YamlScalarNode)((YamlMappingNode)rule["annotations"])["runbook"]).Value!;
        Assert.False(string.IsNullOrWhiteSpace(runbook));
        Assert.DoesNotContain('\n', runbook.Trim());

        var tests = new YamlStream();
        using (var reader = File.OpenText(MonitoringFiles.RuleTestsFile))
            tests.Load(reader);
        var checks = ((YamlSequenceNode)((YamlMappingNode)tests.Documents[0].RootNode)["tests"]).Cast<YamlMappingNode>()
            .SelectMany(t => ((YamlSequenceNode)t["alert_rule_test"]).Cast<YamlMappingNode>())
            .Where(c => ((YamlScalarNode)c["alertname"]).Value == alert)
            .Select(c => ((YamlSequenceNode)c["exp_alerts"]).Children.Count)
            .ToList();
        Assert.Contains(checks, expected => expected > 0);
        Assert.Contains(checks, expected => expected == 0);
    }

    [Fact]
    public void The_metric_name_reader_finds_metrics_and_skips_functions_labels_and_keywords()
    {
        var names = MonitoringFiles.MetricNames(
            """histogram_quantile(0.95, sum by (job, le) (rate(a_bucket{job=~"$job", x="y{z}"}[5m]))) > 60 and on (job) b == 0 or c_total offset 5m unless d""");
        Assert.Equal(["a_bucket", "b", "c_total", "d"], names.Order(StringComparer.Ordinal));
    }
}
