using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GeminiHooks.Cli.Signing;

/// <summary>
/// Dynamic webhooks as Gemini's docs describe them: the whole header is an RS256 JWT whose claims carry the
/// event (<c>type</c>, <c>data</c>) and whose <c>jti</c> is the webhook-id, so the receiver can bind token to body. A
/// <c>body_sha256</c> claim (base64url SHA-256 of the exact body) covers every byte of the body, whatever else it
/// holds (<c>user_metadata</c> included), which a receiver requires of a token.
/// </summary>
internal sealed class JwtSigner(RsaSecurityKey key, string issuer, string audience) : IDeliverySigner
{
    static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    public string Sign(string webhookId, long timestamp, byte[] body)
    {
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(timestamp).UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            ["jti"] = webhookId,
            ["body_sha256"] = Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(body)),
        };
        // The event is copied into the claims only when the body is an envelope; a custom body is signed as is.
        if (TryParseObject(body) is { } envelope)
        {
            if (envelope["type"] is JsonValue type && type.TryGetValue<string>(out var typeName))
                claims["type"] = typeName;
            if (envelope["data"] is JsonNode data)
                claims["data"] = JsonSerializer.Deserialize<JsonElement>(data.ToJsonString());
        }
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = issuedAt + Lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    static JsonObject? TryParseObject(byte[] body)
    {
        try { return JsonNode.Parse(body) as JsonObject; }
        catch (JsonException) { return null; }
    }
}
