using GeminiHooks.Verification;

namespace GeminiHooks.Ingest;

/// <summary>
/// The signature step: the endpoint's verifier over the raw bytes, its result turned into a refusal from the catalogue.
/// </summary>
sealed class DeliveryVerification(StaticWebhookVerifier staticVerifier, DynamicWebhookVerifier dynamicVerifier)
{
    /// <summary>
    /// Null when verified. A JWT that carried the event for an empty body hands it back in
    /// <c>EventFromToken</c>: that is what is stored.
    /// </summary>
    public async ValueTask<(Rejection? Refusal, byte[]? EventFromToken)> VerifyAsync(
        string endpoint, WebhookHeaders headers, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        VerificationResult verification;
        try
        {
            verification = endpoint == DeliveryEndpoints.Static
                ? staticVerifier.Verify(headers, body.Span)
                : await dynamicVerifier.VerifyAsync(headers, body, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json throws this (not JsonException) when a well-formed JSON string cannot become a .NET
            // string: an unpaired surrogate escape or invalid UTF-8 in the token's claims or the body it is compared with.
            return (Rejection.NotUnicode, null);
        }
        return verification.Outcome switch
        {
            VerificationOutcome.Malformed => (Rejection.SignatureMalformed(verification.Reason), null),
            VerificationOutcome.Unauthorized => (Rejection.Unauthorized(verification.Reason), null),
            VerificationOutcome.KeysUnavailable => (Rejection.KeysUnavailable(verification.Reason), null),
            _ => (null, verification.EventFromToken),
        };
    }
}
