using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.TestSupport;

/// <summary>
/// Runs one command of a script in tests/js (independent implementations that share no code with GeminiHooks) with
/// a JSON request on stdin, and answers the JSON object it prints.
/// </summary>
public static class Node
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>signer.mjs: npm <c>standardwebhooks</c>, <c>jose</c> and node:crypto.</summary>
    public static Task<JsonObject> SignerAsync(string command, object request) => RunAsync("signer.mjs", command, request);

    /// <summary>sdk-webhooks.mjs: the official <c>@google/genai</c> SDK's webhooks client.</summary>
    public static Task<JsonObject> SdkAsync(string command, object request) => RunAsync("sdk-webhooks.mjs", command, request);

    /// <param name="request">A <see cref="JsonNode"/> or any object System.Text.Json serializes.</param>
    public static async Task<JsonObject> RunAsync(string script, string command, object request)
    {
        var dir = Repository.RequireNodeModules();
        var start = new ProcessStartInfo("node", [script, command])
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start; is Node.js installed?");
        await process.StandardInput.WriteAsync(request is JsonNode node ? node.ToJsonString() : JsonSerializer.Serialize(request));
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
