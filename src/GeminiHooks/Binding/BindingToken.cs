using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace GeminiHooks.Binding;

/// <summary>
/// Binding tokens: <c>gh1.&lt;expiry&gt;.&lt;nonce&gt;.&lt;mac&gt;</c>, where expiry is Unix seconds, nonce is 16 random bytes
/// and mac is HMAC-SHA256 under a <c>whsec_</c> key over the ASCII text <c>gh1.&lt;expiry&gt;.&lt;nonce&gt;</c> (nonce and
/// mac base64url without padding). Whoever holds a key can mint; the receiver only needs the same key to check, so any
/// language can mint them (the format is in docs/dynamic-webhooks.md).
/// </summary>
static class BindingToken
{
    public const string Prefix = "gh1";
    const int NonceSize = 16;
    const int MacSize = 32;
    const int MaxLength = 128;

    /// <summary>A new token valid until <paramref name="expiresAt"/>, keyed with a <c>whsec_</c> secret.</summary>
    /// <exception cref="FormatException">The key is not a valid <c>whsec_</c> secret.</exception>
    public static string Mint(string key, DateTimeOffset expiresAt)
    {
        var decoded = Verification.StandardWebhooks.DecodeSecret(key);
        var signed = string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}.{expiresAt.ToUnixTimeSeconds()}.{Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(NonceSize))}");
        return signed + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(decoded, Encoding.ASCII.GetBytes(signed)));
    }

    /// <summary>The nonce and expiry of a token that <see cref="Check"/> found valid.</summary>
    public static (string Nonce, DateTimeOffset ExpiresAt) Parts(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var parts = token.Split('.');
        return (parts[2], DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// Checks a token against decoded keys. The MAC is compared under every key in constant time, so the time taken
    /// does not tell which key (or how much of a MAC) matched; expiry is only looked at once the MAC matched, so an
    /// expired forgery is <see cref="BindingTokenState.Invalid"/>, not <see cref="BindingTokenState.Expired"/>.
    /// </summary>
    public static BindingTokenState Check(string? token, IReadOnlyList<byte[]> keys, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (string.IsNullOrEmpty(token))
            return BindingTokenState.Missing;
        if (token.Length > MaxLength || !token.StartsWith(Prefix + ".", StringComparison.Ordinal))
            return BindingTokenState.Invalid;
        var lastDot = token.LastIndexOf('.');
        var signed = token[..lastDot];
        var parts = signed.Split('.');
        if (parts.Length != 3 ||
            !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expiry) ||
            !TryDecode(parts[2], NonceSize, out _) ||
            !TryDecode(token[(lastDot + 1)..], MacSize, out var presented))
            return BindingTokenState.Invalid;

        var content = Encoding.ASCII.GetBytes(signed);
        Span<byte> expected = stackalloc byte[MacSize];
        var matched = false;
        for (var k = 0; k < keys.Count; k++)
        {
            HMACSHA256.HashData(keys[k], content, expected);
            matched |= CryptographicOperations.FixedTimeEquals(expected, presented);
        }
        if (!matched)
            return BindingTokenState.Invalid;
        return now.ToUnixTimeSeconds() > expiry ? BindingTokenState.Expired : BindingTokenState.Valid;
    }

    /// <summary>Strict base64url without padding, of exactly <paramref name="size"/> bytes.</summary>
    static bool TryDecode(string text, int size, out byte[] bytes)
    {
        bytes = [];
        if (text.Length != (size * 4 + 2) / 3 || text.AsSpan().ContainsAnyExcept(Base64UrlAlphabet))
            return false;
        try { bytes = Base64UrlEncoder.DecodeBytes(text); }
        catch (FormatException) { return false; }
        // Re-encoding rejects texts whose unused trailing bits are set (two texts for one value).
        return bytes.Length == size && Base64UrlEncoder.Encode(bytes) == text;
    }

    static readonly System.Buffers.SearchValues<char> Base64UrlAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
}
