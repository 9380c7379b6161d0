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
