using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace GeminiHooks.Server.Tests.Monitoring;

/// <summary>The shipped monitoring files (deploy/prometheus, deploy/grafana) and the PromQL queries they hold.</summary>
static partial class MonitoringFiles
{
    public static string RulesFile => Path.Combine(Repository.Root, "deploy", "prometheus", "alerts.yml");
    public static string RuleTestsFile => Path.Combine(Repository.Root, "deploy", "prometheus", "alerts.test.yml");
    public static string DashboardFile => Path.Combine(Repository.Root, "deploy", "grafana", "geminihooks.json");

    /// <summary>Each alert of alerts.yml: its name and expression.</summary>
    public static IReadOnlyList<(string Alert, string Expr)> Alerts()
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(RulesFile))
            yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return ((YamlSequenceNode)root["groups"]).Cast<YamlMappingNode>()
            .SelectMany(group => ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
            .Select(rule => (((YamlScalarNode)rule["alert"]).Value!, ((YamlScalarNode)rule["expr"]).Value!))
            .ToList();
    }

    public static JsonObject Dashboard() => JsonNode.Parse(File.ReadAllText(DashboardFile))!.AsObject();

    /// <summary>Every panel that queries (rows do not), with its title and its PromQL expressions.</summary>
    public static IReadOnlyList<(string Title, IReadOnlyList<string> Exprs)> Panels() =>
        Dashboard()["panels"]!.AsArray()
            .Where(p => p!["targets"] is JsonArray)
            .Select(p => ((string)p!["title"]!, (IReadOnlyList<string>)p["targets"]!.AsArray().Select(t => (string)t!["expr"]!).ToList()))
            .ToList();

    /// <summary>A panel's query as Grafana would send it: its variables replaced by values that select everything.</summary>
    public static string AsGrafanaSends(string expr) => expr
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$__range", "5m", StringComparison.Ordinal)
        .Replace("$job", ".*", StringComparison.Ordinal);

    /// <summary>
    /// The metric names a PromQL expression selects: identifiers left once label matchers, strings, ranges and
    /// by/without/on/ignoring label lists are removed, minus function calls and keywords.
    /// </summary>
    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var stripped = Strings().Replace(expr, " ");
        stripped = Matchers().Replace(stripped, " ");
        stripped = Ranges().Replace(stripped, " ");
        stripped = LabelLists().Replace(stripped, " ");
        return Identifiers().Matches(stripped).Select(m => m.Groups[1].Value)
            .Where(name => !Keywords.Contains(name))
            .ToHashSet(StringComparer.Ordinal);
    }

    static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
        { "and", "or", "unless", "bool", "offset", "group_left", "group_right", "inf", "nan" };

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex LabelLists();

    /// <summary>An identifier that is not a function call (not followed by an opening parenthesis) and not a number.</summary>
    [GeneratedRegex(@"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")]
    private static partial Regex Identifiers();
}
