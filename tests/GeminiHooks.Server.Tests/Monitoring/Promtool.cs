
namespace GeminiHooks.Server.Tests.Monitoring;

/// <summary>Debian's prometheus package: promtool and prometheus (tests/scripts/prometheus.sh installs it).</summary>
static class PrometheusPackage
{
    public static string Promtool => Find("promtool");
    public static string Prometheus => Find("prometheus");

    static string Find(string name) =>
        new[] { "/usr/bin/" + name, "/usr/local/bin/" + name }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is not installed; tests/scripts/prometheus.sh installs it (apt-get install prometheus)");

    /// <summary>Runs promtool in deploy/prometheus, at most one minute.</summary>
    public static Task<(int ExitCode, string Output)> PromtoolAsync(params string[] args) =>
        ChildProcess.RunAsync(Promtool, args, Path.GetDirectoryName(MonitoringFiles.RulesFile)!, TimeSpan.FromMinutes(1));
}
