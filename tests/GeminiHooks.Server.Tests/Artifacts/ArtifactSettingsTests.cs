namespace GeminiHooks.Server.Tests.Artifacts;

/// <summary>Bad artifact settings stop the published server at start: one line naming the key, exit code 2.</summary>
public class ArtifactSettingsTests
{
    [Theory]
    [InlineData("GeminiHooks__Artifacts__Store", "Dropbox", "GeminiHooks:Artifacts:Store: must be FileSystem or S3 (is 'Dropbox')")]
    [InlineData("GeminiHooks__Artifacts__Path", "/proc/geminihooks-artifacts", "GeminiHooks:Artifacts:Path: '/proc/geminihooks-artifacts' is not writable")]
    [InlineData("GeminiHooks__Gemini__ApiKey", "", "GeminiHooks:Gemini:ApiKey: is empty: artifacts are fetched with the Gemini API key")]
    public async Task A_bad_artifacts_setting_stops_the_start_with_one_line_naming_the_key_and_exit_code_2(string key, string value, string expected)
    {
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string>
        {
            ["GeminiHooks__Artifacts__Enabled"] = "true",
            ["GeminiHooks__Artifacts__Path"] = Path.Combine(data.Path, "artifacts"),
            ["GeminiHooks__Gemini__ApiKey"] = "some-api-key",
            [key] = value,
        };
        await using var server = await ServerProcess.StartAsync(settings);
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var lines = server.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines, l => l.Contains(expected.Split(':')[0] + ":" + expected.Split(':')[1] + ":" + expected.Split(':')[2], StringComparison.Ordinal));
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal) || l.Contains("Unhandled exception", StringComparison.Ordinal));
        Assert.DoesNotContain("some-api-key", server.Log, StringComparison.Ordinal);
    }
}
