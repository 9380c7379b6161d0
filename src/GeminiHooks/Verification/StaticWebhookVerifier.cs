using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Verification;

/// <summary>
/// Static webhooks: Standard Webhooks <c>v1</c> HMAC-SHA256 against every configured secret. Secrets are read from
/// <see cref="IOptionsMonitor{TOptions}"/> on each request, so a configuration reload (rotation) applies at once.
/// </summary>
sealed class StaticWebhookVerifier(IOptionsMonitor<GeminiHooksOptions> options)
{
    // Decoded keys, rebuilt only when a reload hands us a new list instance.
    volatile DecodedSecrets? _decoded;

    public VerificationResult Verify(in WebhookHeaders headers, ReadOnlySpan<byte> body)
    {
        if (!StandardWebhooks.HasEntries(headers.Signature))
            return VerificationResult.Malformed("signature_unparsable");
        if (!StandardWebhooks.HasEntries(headers.Signature, "v1"))
            return VerificationResult.Unauthorized("no_v1_signature");
        var keys = Keys();
        return StandardWebhooks.VerifyV1(keys, headers.Id, headers.TimestampText, body, headers.Signature)
            ? VerificationResult.Verified("v1")
            : VerificationResult.Unauthorized("signature_mismatch");
    }

    IReadOnlyList<byte[]> Keys()
    {
        var secrets = options.CurrentValue.Static.Secrets;
        var decoded = _decoded;
        if (decoded is null || !ReferenceEquals(decoded.Source, secrets))
        {
            // Every secret decodes: invalid ones stop the start, and a reload with one is refused (ReloadableOptions).
            _decoded = decoded = new DecodedSecrets(secrets, secrets.Select(StandardWebhooks.DecodeSecret).ToList());
        }
        return decoded.Keys;
    }

    sealed record DecodedSecrets(List<string> Source, IReadOnlyList<byte[]> Keys);
}
