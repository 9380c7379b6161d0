namespace GeminiHooks.Binding;

/// <summary>What a binding token check found.</summary>
enum BindingTokenState
{
    Valid,

    /// <summary>No token where one was expected.</summary>
    Missing,

    /// <summary>Not a <c>gh1</c> token, or its MAC matches none of the keys (forged, altered, or minted with another key).</summary>
    Invalid,

    /// <summary>The MAC matches but the expiry has passed.</summary>
    Expired,
}
