using System.Security.Cryptography;
using System.Text.Json;
using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GeminiHooks.Verification;

/// <summary>
/// Dynamic webhooks, signed with Google's keys from the JWKS. <c>v1a,&lt;base64&gt;</c> Ed25519 entries (Standard
/// Webhooks asymmetric) are what live traffic carries; an RS256 JWT as the whole <c>webhook-signature</c> value (what
/// Gemini's docs describe) still verifies. The JWT rules are this receiver's own, as no Gemini source states them:
/// <c>exp</c> and <c>iat</c> required, <c>iat</c> within the tolerance of the <c>webhook-timestamp</c> header (so a
/// captured token cannot be replayed under a fresh header), <c>jti</c> (or <c>webhook-id</c>) equal to the header's id,
/// event claims (<c>type</c>/<c>data</c>) equal to the body's, no <c>crit</c> extensions, audiences compared exactly.
/// </summary>
sealed class DynamicWebhookVerifier(JwksCache jwks, IOptionsMonitor<GeminiHooksOptions> options, TimeProvider time)
{
    readonly JsonWebTokenHandler _tokens = new() { MapInboundClaims = false };

    public async ValueTask<VerificationResult> VerifyAsync(WebhookHeaders headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (StandardWebhooks.HasEntries(headers.Signature, "v1a"))
            return await VerifyV1aAsync(headers, body, cancellationToken);
        if (LooksLikeJwt(headers.Signature))
            return await VerifyJwtAsync(headers, body, cancellationToken);
        return StandardWebhooks.HasEntries(headers.Signature)
            ? VerificationResult.Unauthorized("no_v1a_signature_or_jwt")
            : VerificationResult.Malformed("signature_unparsable");
    }

    async ValueTask<VerificationResult> VerifyV1aAsync(WebhookHeaders headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var verified = false;
        // The lookup verifies against the cached set; only a miss (rotated key) costs a refetch and a second try.
        var lookup = await jwks.GetAsync(
            keys => !(verified = keys.VerifyV1a(headers.Id, headers.TimestampText, body.Span, headers.Signature)),
            cancellationToken);
        if (lookup.Keys is null)
            return VerificationResult.KeysUnavailable("jwks_unavailable");
        if (lookup.Refetched)
            verified = lookup.Keys.VerifyV1a(headers.Id, headers.TimestampText, body.Span, headers.Signature);
        if (verified)
            return VerificationResult.Verified("v1a");
        return lookup.SourceFailing
            ? VerificationResult.KeysUnavailable("jwks_unavailable")
            : VerificationResult.Unauthorized("signature_mismatch");
    }

    async ValueTask<VerificationResult> VerifyJwtAsync(WebhookHeaders headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        JsonWebToken token;
        try { token = _tokens.ReadJsonWebToken(headers.Signature); }
        catch (ArgumentException) { return VerificationResult.Unauthorized("token_unreadable"); }
        catch (SecurityTokenException) { return VerificationResult.Unauthorized("token_unreadable"); }

        // Checked before any key is looked up, so "none" and HMAC tokens never reach key resolution.
        if (!settings.Dynamic.EffectiveAlgorithms.Contains(token.Alg, StringComparer.Ordinal))
            return VerificationResult.Unauthorized("algorithm_not_allowed");
        if (CheckCritical(token) is { } critical)
            return VerificationResult.Unauthorized(critical);

        var kid = string.IsNullOrEmpty(token.Kid) ? null : token.Kid;
        var lookup = await jwks.GetAsync(keys => kid is null ? keys.Rsa.Count == 0 : keys.FindRsa(kid) is null, cancellationToken);
        if (lookup.Keys is null)
            return VerificationResult.KeysUnavailable("jwks_unavailable");
        IEnumerable<SecurityKey> signingKeys = kid is null ? lookup.Keys.Rsa : lookup.Keys.FindRsa(kid) is { } key ? [key] : [];
        if (!signingKeys.Any())
            return lookup.SourceFailing
                ? VerificationResult.KeysUnavailable("jwks_unavailable")
                : VerificationResult.Unauthorized("unknown_key_id");

        var parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = signingKeys,
            ValidAlgorithms = settings.Dynamic.EffectiveAlgorithms,
            ValidateAudience = settings.Dynamic.RequireAudience || settings.Dynamic.Audiences.Count > 0,
            ValidAudiences = settings.Dynamic.Audiences,
            // "https://a/hook/" is not "https://a/hook": an audience is an identifier, compared as such.
            IgnoreTrailingSlashWhenValidatingAudience = false,
            // Always checked: empty Issuers means Google's (an assumption, docs/dynamic-webhooks.md).
            ValidateIssuer = true,
            ValidIssuers = settings.Dynamic.EffectiveIssuers,
            // Lifetime is checked below against the injected clock, with the delivery tolerance as skew.
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = false,
            TryAllIssuerSigningKeys = kid is null,
        };
        var result = await _tokens.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
            return VerificationResult.Unauthorized(FailureReason(result.Exception));

        var lifetime = CheckLifetime(token, headers.Timestamp, settings.Tolerance);
        if (lifetime is not null)
            return VerificationResult.Unauthorized(lifetime);
        return BindToDelivery(token, headers, body);
    }

    string? CheckLifetime(JsonWebToken token, long headerTimestamp, TimeSpan tolerance)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var skew = (long)tolerance.TotalSeconds;
        if (!token.TryGetPayloadValue<long>("exp", out var exp))
            return "token_without_expiry";
        if (now > exp + skew)
            return "token_expired";
        if (token.TryGetPayloadValue<long>("nbf", out var nbf) && now < nbf - skew)
            return "token_not_yet_valid";
        // The timestamp header is not covered by the token; binding it to iat is what stops a captured token from
        // being replayed under a fresh header once its id has left the idempotency store.
        if (!token.TryGetPayloadValue<long>("iat", out var iat))
            return "token_without_iat";
        if (iat > now + skew)
            return "token_issued_in_future";
        if (Math.Abs(headerTimestamp - iat) > skew)
            return "token_timestamp_mismatch";
        return null;
    }

    /// <summary>
    /// RFC 7515 section 4.1.11: a recipient must reject a token whose <c>crit</c> names an extension it does not
    /// understand, and a <c>crit</c> that is not a non-empty array of header names present in the header is malformed.
    /// This receiver understands no extension, so any <c>crit</c> is refused; the two cases only differ in the reason.
    /// </summary>
    static string? CheckCritical(JsonWebToken token)
    {
        try { return CheckCritical(Base64UrlEncoder.DecodeBytes(token.EncodedHeader)); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException) { return "token_unreadable"; }
    }

    static string? CheckCritical(byte[] encodedHeader)
    {
        if (!WithoutDuplicateKeys(encodedHeader))
            return "token_duplicate_keys";
        using var header = JsonDocument.Parse(encodedHeader);
        if (header.RootElement.ValueKind != JsonValueKind.Object || !header.RootElement.TryGetProperty("crit", out var crit))
            return null;
        if (crit.ValueKind != JsonValueKind.Array || crit.GetArrayLength() == 0)
            return "token_crit_malformed";
        foreach (var name in crit.EnumerateArray())
        {
            if (name.ValueKind != JsonValueKind.String || !header.RootElement.TryGetProperty(name.GetString()!, out _))
                return "token_crit_malformed";
        }
        return "token_crit_unsupported";
    }

    /// <summary>
    /// The token must name this delivery and cover its body: <c>jti</c> equal to the <c>webhook-id</c> header, and
    /// either a <c>body_sha256</c> claim (base64url SHA-256 of the exact body bytes) or claims equal to every top-level
    /// key of the body, <c>type</c> and <c>data</c> at least. A key the token does not carry (<c>user_metadata</c>, which
    /// holds the binding token, or anything else) could otherwise be added to a captured token's delivery. Duplicate
    /// keys are refused in both: parsers disagree on which of two values counts.
    /// </summary>
    static VerificationResult BindToDelivery(JsonWebToken token, WebhookHeaders headers, ReadOnlyMemory<byte> body)
    {
        var encodedClaims = Base64UrlEncoder.DecodeBytes(token.EncodedPayload);
        if (!WithoutDuplicateKeys(encodedClaims))
            return VerificationResult.Unauthorized("token_duplicate_keys");
        using (var claims = JsonDocument.Parse(encodedClaims))
        {
            var payload = claims.RootElement;
            if (!payload.TryGetProperty("jti", out _))
                return VerificationResult.Unauthorized("token_without_jti");
            foreach (var idClaim in (ReadOnlySpan<string>)["jti", "webhook-id", "webhook_id"])
            {
                if (payload.TryGetProperty(idClaim, out var id) && !(id.ValueKind == JsonValueKind.String && id.GetString() == headers.Id))
                    return VerificationResult.Unauthorized("token_id_mismatch");
            }
            if (body.IsEmpty)
            {
                // The event travels in the claims alone: what is stored is rebuilt from them, so it is covered.
                return payload.TryGetProperty("type", out _)
                    ? new VerificationResult(VerificationOutcome.Verified, "jwt", EventFromClaims(payload))
                    : VerificationResult.Malformed("empty_body");
            }
            if (payload.TryGetProperty(BodyDigestClaim, out var digest))
                return DigestMatches(digest, body.Span) ? VerificationResult.Verified("jwt") : VerificationResult.Unauthorized("token_body_digest_mismatch");
            return CoversBody(payload, body);
        }
    }

    const string BodyDigestClaim = "body_sha256";
    static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false };

    static bool DigestMatches(JsonElement claim, ReadOnlySpan<byte> body)
    {
        if (claim.ValueKind != JsonValueKind.String)
            return false;
        Span<byte> actual = stackalloc byte[32];
        SHA256.HashData(body, actual);
        byte[] presented;
        try { presented = Base64UrlEncoder.DecodeBytes(claim.GetString()!); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(actual, presented);
    }

    static VerificationResult CoversBody(JsonElement payload, ReadOnlyMemory<byte> body)
    {
        if (!payload.TryGetProperty("type", out var claimType) || !payload.TryGetProperty("data", out var claimData))
            return VerificationResult.Unauthorized("token_body_not_covered");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return VerificationResult.Malformed("body_not_json");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return VerificationResult.Malformed("body_not_object");
            if (!WithoutDuplicateKeys(body))
                return VerificationResult.Unauthorized("body_duplicate_keys");
            if (!(root.TryGetProperty("type", out var bodyType) && JsonElement.DeepEquals(bodyType, claimType)) ||
                !(root.TryGetProperty("data", out var bodyData) && JsonElement.DeepEquals(bodyData, claimData)))
                return VerificationResult.Unauthorized("token_event_mismatch");
            foreach (var property in root.EnumerateObject())
            {
                if (!payload.TryGetProperty(property.Name, out var claim) || !JsonElement.DeepEquals(claim, property.Value))
                    return VerificationResult.Unauthorized("token_body_not_covered");
            }
            return VerificationResult.Verified("jwt");
        }
    }

    /// <summary>False when the JSON holds an object with two equal keys (or is not JSON at all).</summary>
    static bool WithoutDuplicateKeys(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var strict = JsonDocument.Parse(json, StrictJson);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The event envelope rebuilt from the token's claims, for deliveries whose body is empty.</summary>
    static byte[] EventFromClaims(JsonElement payload)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var name in (ReadOnlySpan<string>)["type", "version", "timestamp", "data", "user_metadata"])
            {
                if (payload.TryGetProperty(name, out var value))
                {
                    writer.WritePropertyName(name);
                    value.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    static string FailureReason(Exception? exception) => exception switch
    {
        SecurityTokenInvalidAudienceException => "token_audience",
        SecurityTokenInvalidIssuerException => "token_issuer",
        SecurityTokenInvalidAlgorithmException => "algorithm_not_allowed",
        SecurityTokenSignatureKeyNotFoundException => "unknown_key_id",
        SecurityTokenInvalidSignatureException => "signature_mismatch",
        _ => "token_invalid",
    };

    static readonly System.Buffers.SearchValues<char> Base64Url =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>
    /// Header and payload as base64url segments, then a signature segment that may be empty: an unsigned
    /// (<c>alg: none</c>) token is still a token, and is refused as such (401) rather than as an unparsable header.
    /// </summary>
    static bool LooksLikeJwt(string value)
    {
        var span = value.AsSpan();
        var parts = 0;
        foreach (var range in span.Split('.'))
        {
            var part = span[range];
            if ((part.IsEmpty && parts < 2) || part.ContainsAnyExcept(Base64Url))
                return false;
            parts++;
        }
        return parts == 3;
    }
}
