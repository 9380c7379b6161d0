namespace GeminiHooks.Verification;

/// <summary>
/// The answer of a verifier. <see cref="Reason"/> is a short stable code (for logs and metrics, never secret material).
/// <see cref="EventFromToken"/> is set when a JWT carried the event and the body was empty.
/// </summary>
readonly record struct VerificationResult(VerificationOutcome Outcome, string Reason, byte[]? EventFromToken = null)
{
    public static VerificationResult Verified(string scheme) => new(VerificationOutcome.Verified, scheme);
    public static VerificationResult Malformed(string reason) => new(VerificationOutcome.Malformed, reason);
    public static VerificationResult Unauthorized(string reason) => new(VerificationOutcome.Unauthorized, reason);
    public static VerificationResult KeysUnavailable(string reason) => new(VerificationOutcome.KeysUnavailable, reason);
}
