using System.Globalization;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>
/// The generated development secret is a credential: the real server, started in Development in an empty folder,
/// writes it 0600 in a new 0700 <c>data</c> folder, and refuses to follow a symbolic link planted in its place.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes are POSIX
public class DevelopmentSecretFileTests
{
    [Fact]
    public async Task The_generated_secret_is_0600_in_a_0700_folder()
    {
        using var work = new TempDirectory();
        var app = await PublishedServer.DirectoryAsync();
        var port = ChildProcess.FreePort();
        await using var process = ChildProcess.Start("dotnet", [Path.Combine(app, "GeminiHooks.Server.dll")], work.Path,
            Development(port));
        var secret = work.File("data/dev-webhook-secret");
        await Eventually.UntilAsync(() => File.Exists(secret) && new FileInfo(secret).Length > 0, "the secret is written",
            TimeSpan.FromSeconds(60));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(work.File("data")));
    }

    [Fact]
    public async Task A_symlink_in_place_of_the_secret_stops_the_start_with_one_line()
    {
        using var work = new TempDirectory();
        Directory.CreateDirectory(work.File("data"));
        var victim = work.File("victim.txt");
        await File.WriteAllTextAsync(victim, "whsec_not-the-services");
        File.CreateSymbolicLink(work.File("data/dev-webhook-secret"), victim);
        var app = await PublishedServer.DirectoryAsync();

        var (exitCode, output) = await ChildProcess.RunAsync("dotnet", [Path.Combine(app, "GeminiHooks.Server.dll")], work.Path,
            TimeSpan.FromSeconds(60), Development(ChildProcess.FreePort()));
        Assert.Equal(2, exitCode);
        Assert.Contains("GeminiHooks:Static:Secrets: none configured, and data/dev-webhook-secret is a symbolic link", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    static Dictionary<string, string> Development(int port) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
    };
}
