using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GeminiHooks.Server.Tests.Support;

/// <summary>
/// The Release publish output, run the way the Dockerfile's ENTRYPOINT runs it: <c>dotnet GeminiHooks.Server.dll</c>
/// in the publish folder, Production environment, settings from environment variables only.
/// Published once per test run into artifacts/test-publish.
/// </summary>
static class PublishedServer
{
    static readonly Lazy<Task<string>> Published = new(PublishAsync);

    public static Task<string> DirectoryAsync() => Published.Value;

    static async Task<string> PublishAsync()
    {
        var output = Path.Combine(Repository.Root, "artifacts", "test-publish");
        var result = await RunAsync("dotnet", ["publish", Path.Combine(Repository.Root, "src", "GeminiHooks.Server"), "-c", "Release", "-o", output, "--nologo"],
            Repository.Root, new Dictionary<string, string>(), TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0)
            throw new InvalidOperationException("dotnet publish failed: " + result.Output);
        return output;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string workingDirectory,
        IDictionary<string, string> environment, TimeSpan timeout)
    {
        using var process = Start(file, args, workingDirectory, environment, out var output);
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}"); }
        process.WaitForExit(); // drains the output events
        lock (output) return (process.ExitCode, output.ToString());
    }

    /// <summary>Starts a process whose stdout and stderr are collected into <paramref name="output"/>.</summary>
    public static Process Start(string file, string[] args, string workingDirectory, IDictionary<string, string> environment, out StringBuilder output)
    {
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // A clean environment for the service: nothing from the test host's ASP.NET settings leaks in.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("GeminiHooks__", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        // The metrics port defaults to 9464: processes started side by side each get a free one unless the test picks.
        start.Environment["GeminiHooks__Metrics__Port"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var collected = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (collected) collected.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (collected) collected.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = collected;
        return process;
    }
}
