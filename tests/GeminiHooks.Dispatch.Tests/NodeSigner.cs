using System.Diagnostics;
using System.Text.Json.Nodes;

namespace GeminiHooks.Dispatch.Tests;

/// <summary>Runs tests/js/signer.mjs: the npm standardwebhooks library, which shares no code with GeminiHooks.</summary>
public static class NodeSigner
{
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GeminiHooks.sln")))
                    return dir.FullName;
            }
            throw new InvalidOperationException("GeminiHooks.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static async Task<JsonObject> RunAsync(string command, JsonObject input)
    {
        var root = RepoRoot;
        if (!Directory.Exists(Path.Combine(root, "tests", "js", "node_modules", "standardwebhooks")))
            Assert.Fail("The npm signers are not installed; run: npm ci --prefix tests/js");
        var start = new ProcessStartInfo("node", [Path.Combine(root, "tests", "js", "signer.mjs"), command])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        await process.StandardInput.WriteAsync(input.ToJsonString());
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node {command} failed: {await error}");
        return JsonNode.Parse(await output)!.AsObject();
    }
}
