using GeminiHooks.Server.Tests.Configuration;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>Values of the wrong type and unsafe combinations: all reported at once, one line per key, no binder exception.</summary>
public class BadSettingsTests
{
    [Fact]
    public async Task Every_badly_typed_value_and_every_other_problem_is_reported_together_naming_its_key()
    {
        var validation = await ConfigurationTests.StartFails(new Dictionary<string, string?>
        {
            ["GeminiHooks:Tolerance"] = "5m",
            ["GeminiHooks:MaxBodyBytes"] = "abc",
            ["GeminiHooks:Dynamic:Enabled"] = "yes",
            ["GeminiHooks:Store:RetryAfter"] = "NaN",
            ["GeminiHooks:Dispatch:MaxAttempts"] = "0",
        });
        var lines = validation.Failures.ToList();
        Assert.Contains(lines, l => l.StartsWith("GeminiHooks:Tolerance: '5m' is not a time span", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("GeminiHooks:MaxBodyBytes: 'abc' is not a whole number", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("GeminiHooks:Dynamic:Enabled: 'yes' is not true or false", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("GeminiHooks:Store:RetryAfter: 'NaN' is not a time span", StringComparison.Ordinal));
        // The type errors do not hide the validators' own messages.
        Assert.Contains(lines, l => l.StartsWith("GeminiHooks:Dispatch:MaxAttempts:", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain('\n', l));
    }

    [Theory]
    [InlineData("00:05:00", "1.00:04:59")]
    [InlineData("00:00:30", "00:00:01")]
    public async Task A_retention_shorter_than_the_tolerance_plus_a_day_of_retries_is_refused(string tolerance, string retention)
    {
        var failure = await ConfigurationTests.StartFails(new Dictionary<string, string?>
        {
            ["GeminiHooks:Tolerance"] = tolerance,
            ["GeminiHooks:Idempotency:Retention"] = retention,
        });
        var line = Assert.Single(failure.Failures);
        Assert.StartsWith("GeminiHooks:Idempotency:Retention: must be at least Tolerance plus 24 hours", line);
    }
}
