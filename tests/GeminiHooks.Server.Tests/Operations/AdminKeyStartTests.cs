using System.Globalization;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>The published server refuses a short admin key at start: one line naming the key, never the key, exit 2.</summary>
public class AdminKeyStartTests
{
    [Fact]
    public async Task A_short_admin_key_stops_the_start_with_one_line_and_exit_code_2()
    {
        const string shortKey = "only-twenty-six-characters";
        var app = await PublishedServer.DirectoryAsync();
        using var data = new TempDirectory();
        var (exitCode, output) = await ChildProcess.RunAsync("dotnet", ["GeminiHooks.Server.dll"], app, TimeSpan.FromSeconds(60),
            new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_HTTP_PORTS"] = ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture),
                ["GeminiHooks__Store__ConnectionString"] = $"Data Source={data.File("geminihooks.db")}",
                ["GeminiHooks__Static__Secrets__0"] = Receiver.Secret,
                ["GeminiHooks__Admin__ApiKey"] = shortKey,
            });
        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal("Configuration error: GeminiHooks:Admin:ApiKey: must be at least 32 characters (is 26); generate one with 'openssl rand -base64 32'", line);
        Assert.DoesNotContain(shortKey, output, StringComparison.Ordinal);
    }
}
