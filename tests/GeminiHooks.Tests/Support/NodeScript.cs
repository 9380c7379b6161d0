using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.Tests.Support;

/// <summary>Runs one of the single-purpose scripts of tests/js (JSON in on stdin, JSON out on stdout), node builtins only.</summary>
static class NodeScript
{
    public static async Task<JsonObject> RunAsync(string script, object request)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(Repository.Root, "tests", "js", script)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(request));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"node {script} failed: {await error}");
        return JsonNode.Parse(await output)!.AsObject();
    }
}
