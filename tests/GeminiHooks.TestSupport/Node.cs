using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.TestSupport;

/// <summary>
/// Runs the scripts in tests/js: independent implementations that share no code with GeminiHooks (one command with a
/// JSON request on stdin, answering the JSON object it prints), and the official SDK script as a user runs it.
/// </summary>
public static class Node
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    static readonly Lazy<Task<string>> Node22 = new(FindNode22Async);

    /// <summary>What a script run ended with.</summary>
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        /// <inheritdoc />
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Err}";
    }

    /// <summary>signer.mjs: npm <c>standardwebhooks</c>, <c>jose</c> and node:crypto, on the machine's node.</summary>
    public static Task<JsonObject> SignerAsync(string command, object request) => RunAsync("signer.mjs", command, request);

    /// <param name="request">A <see cref="JsonNode"/> or any object System.Text.Json serializes.</param>
    public static async Task<JsonObject> RunAsync(string script, string command, object request)
    {
        var result = await RunProcessAsync("node", [script, command],
            request is JsonNode node ? node.ToJsonString() : JsonSerializer.Serialize(request));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"node {script} {command} failed: {result}");
        return JsonNode.Parse(result.Out) as JsonObject
               ?? throw new InvalidOperationException($"node {script} {command} printed no JSON object: {result.Out}");
    }

    /// <summary>
    /// sdk-webhooks.mjs as a user runs it: arguments only, stdin left open and unwritten (a script that waited on it would
    /// time out), on a Node >= 22 as <c>@google/genai</c> requires.
    /// </summary>
    public static async Task<Result> SdkAsync(params string[] args) => await SdkScriptAsync("sdk-webhooks.mjs", args);

    /// <summary>Runs one of the @google/genai scripts in tests/js on Node 22.</summary>
    public static async Task<Result> SdkScriptAsync(string script, params string[] args) =>
        await RunProcessAsync(await Node22.Value, [script, .. args], stdin: null);

    /// <summary>The Node the SDK test runs on: GEMINIHOOKS_NODE22 (set by scripts/test.sh), else tests/scripts/node22.sh.</summary>
    public static Task<string> Node22PathAsync() => Node22.Value;

    static async Task<string> FindNode22Async()
    {
        if (Environment.GetEnvironmentVariable("GEMINIHOOKS_NODE22") is { Length: > 0 } configured)
            return configured;
        var script = Path.Combine(Repository.Root, "tests", "scripts", "node22.sh");
        var found = await RunProcessAsync("bash", [script], stdin: "");
        if (found.ExitCode != 0)
            throw new InvalidOperationException($"tests/scripts/node22.sh found no Node >= 22: {found}");
        return found.Out.Trim();
    }

    static async Task<Result> RunProcessAsync(string program, string[] args, string? stdin)
    {
        var start = new ProcessStartInfo(program, args)
        {
            WorkingDirectory = Repository.RequireNodeModules(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start; is it installed?");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
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
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {Limit}.");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
