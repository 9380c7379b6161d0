using System.Globalization;
using System.Text;
using System.Text.Json;
using GeminiHooks.Cli.Common;

namespace GeminiHooks.Cli.Send;

/// <summary>What a send run did; <c>StatusCounts</c> keys are HTTP codes, or <c>error</c>/<c>timeout</c>.</summary>
internal sealed record SendSummary(int Sent, int Succeeded, int Failed, double DurationMs, double RatePerSecond,
    double P50Ms, double P99Ms, SortedDictionary<string, int> StatusCounts)
{
    public string ToJson() => JsonSerializer.Serialize(this, CliJson.Snake);

    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"sent {Sent} ({Succeeded} ok, {Failed} failed) in {DurationMs / 1000:0.00} s: {RatePerSecond:0.0}/s, ");
        text.Append(CultureInfo.InvariantCulture, $"latency p50 {P50Ms:0.0} ms, p99 {P99Ms:0.0} ms");
        text.AppendLine();
        text.Append("status: ").AppendJoin(", ", StatusCounts.Select(kv => $"{kv.Key} x{kv.Value}"));
        return text.ToString();
    }
}
