using System.Text.Json.Nodes;

namespace GeminiHooks.TestSupport;

/// <summary>
/// Runs tests/js/signer.mjs: signatures and verifications by npm <c>standardwebhooks</c>, <c>jose</c> and node:crypto,
/// implementations that share no code with GeminiHooks.
/// </summary>
public static class NodeSigner
{
    public static async Task<string> SignStaticAsync(string secret, string id, long timestamp, string body) =>
        (string)(await Node.SignerAsync("sign-static", new { secret, id, timestamp, body }))["signature"]!;

    public static async Task<string> SignV1aAsync(JsonObject privateJwk, string id, long timestamp, string body) =>
        (string)(await Node.SignerAsync("sign-v1a", new { privateJwk, id, timestamp, body }))["signature"]!;

    public static async Task<string> SignJwtAsync(JsonObject privateJwk, object header, object claims) =>
        (string)(await Node.SignerAsync("sign-jwt", new { privateJwk, header, claims }))["token"]!;

    public static async Task<string> SignJwtHmacAsync(string secretUtf8, object header, object claims) =>
        (string)(await Node.SignerAsync("sign-jwt-hmac", new { secretUtf8, header, claims }))["token"]!;

    /// <summary>A key pair as JWKs: alg RS256 or EdDSA.</summary>
    public static async Task<(JsonObject Public, JsonObject Private)> GenerateKeyAsync(string alg, string kid)
    {
        var answer = await Node.SignerAsync("generate-key", new { alg, kid });
        return (answer["public"]!.AsObject(), answer["private"]!.AsObject());
    }
}
