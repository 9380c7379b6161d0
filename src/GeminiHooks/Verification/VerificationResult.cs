namespace GeminiHooks.Verification;

enum VerificationOutcome
{
    Verified,

    /// <summary>400: a header or the signature cannot be parsed at all.</summary>
    Malformed,

    /// <summary>401: no signature matches, the timestamp is outside the window, or the token is invalid.</summary>
    Unauthorized,

    /// <summary>503: the key needed is not known because the JWKS cannot be fetched; the sender should retry.</summary>
    KeysUnavailable,
}

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

/// <summary>The three Standard Webhooks headers, already checked for presence and shape.</summary>
readonly record struct WebhookHeaders(string Id, string TimestampText, long Timestamp, string Signature);
