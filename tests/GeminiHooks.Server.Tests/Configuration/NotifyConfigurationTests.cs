namespace GeminiHooks.Server.Tests.Configuration;

/// <summary><c>Notify</c> settings checked at start: one line per problem, naming the key, never the URL or the secret.</summary>
public class NotifyConfigurationTests
{
    const string SlackUrl = "https://hooks.slack.com/services/T0001/B0002/xoxb-secret-token";

    [Theory]
    [InlineData("Type", "teams", "GeminiHooks:Notify:Type: 'teams' is not a notification type")]
    [InlineData("Events:0", "dead_letters", "GeminiHooks:Notify:Events:0: 'dead_letters' is not a notification kind")]
    [InlineData("MinInterval", "00:00:00", "GeminiHooks:Notify:MinInterval: must be between 00:00:01 and 1.00:00:00")]
    [InlineData("MinInterval", "2.00:00:00", "GeminiHooks:Notify:MinInterval: must be between")]
    [InlineData("BacklogAge", "00:00:00.500", "GeminiHooks:Notify:BacklogAge: must be at least 00:00:01")]
    [InlineData("Url", "", "GeminiHooks:Notify:Url: is required")]
    [InlineData("Url", "ftp://example.com/x", "GeminiHooks:Notify:Url: is not an absolute http or https URL")]
    [InlineData("Timeout", "00:00:00", "GeminiHooks:Notify:Timeout: must be positive")]
    public async Task A_bad_setting_stops_the_start_with_one_line_naming_the_key(string key, string value, string line)
    {
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:Notify:Type"] = "slack",
            ["GeminiHooks:Notify:Url"] = SlackUrl,
            [$"GeminiHooks:Notify:{key}"] = value,
        };
        var error = await ConfigurationTests.StartFails(settings);
        var failure = Assert.Single(error.Failures);
        Assert.StartsWith(line, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("xoxb-secret-token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_needs_a_valid_secret_which_is_never_echoed()
    {
        var missing = await ConfigurationTests.StartFails(new Dictionary<string, string?>
        {
            ["GeminiHooks:Notify:Type"] = "http",
            ["GeminiHooks:Notify:Url"] = "https://ops.example.com/hooks",
        });
        Assert.StartsWith("GeminiHooks:Notify:Secret: is required for Type 'http'", Assert.Single(missing.Failures), StringComparison.Ordinal);

        const string bad = "whsec_not*base64-secret";
        var invalid = await ConfigurationTests.StartFails(new Dictionary<string, string?>
        {
            ["GeminiHooks:Notify:Type"] = "http",
            ["GeminiHooks:Notify:Url"] = "https://ops.example.com/hooks",
            ["GeminiHooks:Notify:Secret"] = bad,
        });
        Assert.StartsWith("GeminiHooks:Notify:Secret: is invalid", Assert.Single(invalid.Failures), StringComparison.Ordinal);
        Assert.DoesNotContain(bad, invalid.Message, StringComparison.Ordinal);
    }
}
