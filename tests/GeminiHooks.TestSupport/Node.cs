using System.Diagnostics;
using System.Text.Json.Nodes;

namespace GeminiHooks.Cli.Tests.Infrastructure;

/// <summary>Runs one command of a script in tests/js (independent implementations) with a JSON request on stdin.</summary>
internal static class Node
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static Task<JsonObject> SignerAsync(string command, JsonObject request) => RunAsync("signer.mjs", command, request);

    public static Task<JsonObject> SdkAsync(string command, JsonObject request) => RunAsync("sdk-webhooks.mjs", command, request);

    static async Task<JsonObject> RunAsync(string script, string command, JsonObject request)
    {
        var dir = Repo.RequireNodeModules();
        var start = new ProcessStartInfo("node", [script, command])
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start; is Node.js installed?");
        await process.StandardInput.WriteAsync(request.ToJsonString());
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Limit);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} {command} did not finish within {Limit}.");
        }
        var output = await stdout;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"node {script} {command} exited {process.ExitCode}: {await stderr}");
        return JsonNode.Parse(output) as JsonObject ?? throw new InvalidOperationException($"node {script} {command} printed no JSON object: {output}");
    }
}
