using System.Globalization;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>
/// The published server with <c>Artifacts:Store=S3</c> and a bad S3 setting stops at start with one line naming the
/// key and exit code 2, before any S3 request.
/// </summary>
public class S3StartTests
{
    [Fact]
    public async Task Good_S3_settings_start_the_server()
    {
        var port = ChildProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Artifacts__Store"] = "S3",
            ["GeminiHooks__Artifacts__S3__Bucket"] = "geminihooks",
            ["GeminiHooks__Artifacts__S3__ServiceUrl"] = "http://127.0.0.1:9000",
            ["GeminiHooks__Artifacts__S3__ForcePathStyle"] = "true",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        await server.WaitUntilUpAsync(client);

        Assert.DoesNotContain("Configuration error", server.Log, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GeminiHooks__Artifacts__S3__ServiceUrl", "http://127.0.0.1:9000",
        "Configuration error: GeminiHooks:Artifacts:S3:Bucket: is empty: name the bucket artifacts are put in (Artifacts:Store is S3)")]
    [InlineData("GeminiHooks__Artifacts__S3__Bucket", "geminihooks",
        "Configuration error: GeminiHooks:Artifacts:S3:ServiceUrl: 'localhost 9000' is not an absolute http or https URL (e.g. http://127.0.0.1:9000)")]
    public async Task A_bad_S3_setting_stops_the_start_with_one_line_and_exit_code_2(string key, string value, string expected)
    {
        var app = await PublishedServer.DirectoryAsync();
        using var data = new TempDirectory();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_HTTP_PORTS"] = ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Store__ConnectionString"] = $"Data Source={data.File("geminihooks.db")}",
            ["GeminiHooks__Static__Secrets__0"] = Receiver.Secret,
            ["GeminiHooks__Artifacts__Store"] = "S3",
            ["GeminiHooks__Artifacts__S3__ServiceUrl"] = "localhost 9000",
        };
        environment[key] = value;

        var (exitCode, output) = await ChildProcess.RunAsync("dotnet", ["GeminiHooks.Server.dll"], app, TimeSpan.FromSeconds(60), environment);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(expected, line);
    }
}
