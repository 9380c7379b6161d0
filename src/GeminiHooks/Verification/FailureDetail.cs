namespace GeminiHooks.Verification;

/// <summary>
/// The sentence a 401 answers with, per verifier reason: an operator debugging a refused delivery (a JWT minted by
/// a test tool, an audience typo) learns which check failed without reading logs. Nothing here depends on a secret.
/// </summary>
static class FailureDetail
{
    public static string For(string reason) => reason switch
    {
        "signature_mismatch" => "No signature in webhook-signature verifies for this delivery with the known secrets or keys.",
        "no_v1a_signature_or_jwt" => "webhook-signature holds neither a v1a entry nor a JWT, the formats dynamic webhooks use.",
        "no_v1_signature" => "webhook-signature holds no v1 entry, the format static webhooks use.",
        "token_unreadable" => "The JWT in webhook-signature cannot be read.",
        "algorithm_not_allowed" => "The JWT's alg is not one of the allowed algorithms (Dynamic:Algorithms, default RS256).",
        "token_crit_unsupported" => "The JWT header lists critical extensions (crit) this receiver does not understand.",
        "token_crit_malformed" => "The JWT header's crit is not a non-empty list of header names present in the header.",
        "unknown_key_id" => "The JWT's kid names no key of the JWKS.",
        "token_audience" => "The JWT's aud is not one of Dynamic:Audiences (compared exactly).",
        "token_issuer" => "The JWT's iss is not one of Dynamic:Issuers (empty: https://generativelanguage.googleapis.com).",
        "token_invalid" => "The JWT failed validation.",
        "token_without_expiry" => "The JWT has no exp claim; it is required.",
        "token_expired" => "The JWT's exp has passed (beyond the tolerance).",
        "token_not_yet_valid" => "The JWT's nbf is in the future (beyond the tolerance).",
        "token_without_iat" => "The JWT has no iat claim; it is required to bind the token to webhook-timestamp.",
        "token_issued_in_future" => "The JWT's iat is in the future (beyond the tolerance).",
        "token_timestamp_mismatch" => "webhook-timestamp does not agree with the JWT's iat within the tolerance.",
        "token_id_mismatch" => "The JWT's jti (or webhook-id claim) is not the webhook-id header.",
        "token_event_mismatch" => "The JWT's type or data claim differs from the body.",
        "token_without_jti" => "The JWT has no jti claim; it is required and must be the webhook-id header.",
        "token_body_not_covered" => "The JWT does not cover the body: it needs a body_sha256 claim, or type and data claims plus a claim equal to every other top-level key of the body.",
        "token_body_digest_mismatch" => "The JWT's body_sha256 claim is not the SHA-256 of the body.",
        "token_duplicate_keys" => "The JWT's header or claims repeat a JSON key.",
        "body_duplicate_keys" => "The body repeats a JSON key, so the JWT cannot be said to cover it.",
        _ => "The signature of the delivery could not be verified.",
    };
}
