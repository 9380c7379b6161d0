using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.Tests.Support;

/// <summary>
/// Runs tests/js/signer.mjs: signatures and verifications by npm <c>standardwebhooks</c>, <c>jose</c> and node:crypto,
/// implementations that share no code with GeminiHooks.
/// </summary>
static class NodeSigner
{
    public static async Task<JsonObject> RunAsync(string command, object request)
    {
        var modules = Path.Combine(Repository.Root, "tests", "js", "node_modules");
        if (!Directory.Exists(modules))
            throw new InvalidOperationException("tests/js/node_modules is missing; run: npm ci --prefix tests/js");
        var start = new ProcessStartInfo("node", [Path.Combine(Repository.Root, "tests", "js", "signer.mjs"), command])
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
            throw new InvalidOperationException($"node signer.mjs {command} failed: {await error}");
        return JsonNode.Parse(await output)!.AsObject();
    }

    public static async Task<string> SignStaticAsync(string secret, string id, long timestamp, string body) =>
        (string)(await RunAsync("sign-static", new { secret, id, timestamp, body }))["signature"]!;

    public static async Task<string> SignV1aAsync(JsonObject privateJwk, string id, long timestamp, string body) =>
        (string)(await RunAsync("sign-v1a", new { privateJwk, id, timestamp, body }))["signature"]!;

    public static async Task<string> SignJwtAsync(JsonObject privateJwk, object header, object claims) =>
        (string)(await RunAsync("sign-jwt", new { privateJwk, header, claims }))["token"]!;

    public static async Task<string> SignJwtHmacAsync(string secretUtf8, object header, object claims) =>
        (string)(await RunAsync("sign-jwt-hmac", new { secretUtf8, header, claims }))["token"]!;

    /// <summary>A key pair as JWKs: alg RS256 or EdDSA.</summary>
    public static async Task<(JsonObject Public, JsonObject Private)> GenerateKeyAsync(string alg, string kid)
    {
        var answer = await RunAsync("generate-key", new { alg, kid });
        return (answer["public"]!.AsObject(), answer["private"]!.AsObject());
    }
}
