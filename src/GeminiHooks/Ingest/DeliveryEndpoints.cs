namespace GeminiHooks.Ingest;

/// <summary>
/// The names of the two delivery endpoints as they appear in the store, the operator API
/// (<c>/admin/events/{endpoint}/...</c>), metrics labels and log lines.
/// </summary>
public static class DeliveryEndpoints
{
    /// <summary>Static webhooks: Standard Webhooks HMAC (<c>v1</c>) with the operator's secrets.</summary>
    public const string Static = "static";

    /// <summary>Dynamic webhooks: <c>v1a</c> Ed25519 or an RS256 JWT, keys from Google's JWKS.</summary>
    public const string Dynamic = "dynamic";

    /// <summary>Events the receiver synthesized for tracked jobs Gemini did not announce (docs/reconciliation.md).</summary>
    public const string Reconciled = "reconciled";
}
