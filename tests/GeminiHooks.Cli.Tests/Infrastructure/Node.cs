using System.Diagnostics;
using System.Text.Json.Nodes;

namespace GeminiHooks.Cli.Tests.Infrastructure;

/// <summary>Runs the scripts in tests/js: independent signers (JSON request on stdin) and the official SDK (arguments).</summary>
internal static class Node
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    static readonly Lazy<Task<string>> Node22 = new(FindNode22Async);

    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Err}";
    }

    /// <summary>signer.mjs (npm standardwebhooks, jose, node:crypto) on the machine's node.</summary>
    public static async Task<JsonObject> SignerAsync(string command, JsonObject request)
    {
        var result = await RunAsync("node", ["signer.mjs", command], request.ToJsonString());
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"node signer.mjs {command} failed: {result}");
        return JsonNode.Parse(result.Out) as JsonObject ?? throw new InvalidOperationException($"node signer.mjs {command} printed no JSON object: {result.Out}");
    }

    /// <summary>
    /// sdk-webhooks.mjs as a user runs it: arguments only, stdin left open and unwritten (a script that waited on it would
    /// time out), on a Node >= 22 as @google/genai requires.
    /// </summary>
    public static async Task<Result> SdkAsync(params string[] args) =>
        await RunAsync(await Node22.Value, ["sdk-webhooks.mjs", .. args], stdin: null);

    /// <summary>The Node the SDK test runs on: GEMINIHOOKS_NODE22 (set by scripts/test.sh), else tests/scripts/node22.sh.</summary>
    public static Task<string> Node22PathAsync() => Node22.Value;

    static async Task<string> FindNode22Async()
    {
        if (Environment.GetEnvironmentVariable("GEMINIHOOKS_NODE22") is { Length: > 0 } configured)
            return configured;
        var script = Path.Combine(Repo.Root, "tests", "scripts", "node22.sh");
        var found = await RunAsync("bash", [script], stdin: "");
        if (found.ExitCode != 0)
            throw new InvalidOperationException($"tests/scripts/node22.sh found no Node >= 22: {found}");
        return found.Out.Trim();
    }

    static async Task<Result> RunAsync(string program, string[] args, string? stdin)
    {
        var start = new ProcessStartInfo(program, args)
        {
            WorkingDirectory = Repo.RequireNodeModules(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
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
