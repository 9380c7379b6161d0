using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using NSec.Cryptography;

namespace GeminiHooks.Verification;

/// <summary>
/// The signing keys of one fetched JWKS: RSA keys for JWTs and Ed25519 keys for <c>v1a</c> entries. (Not
/// IdentityModel's <c>JsonWebKeySet</c>: only the keys this receiver can use, parsed once per fetch.)
/// </summary>
sealed class SigningKeySet
{
    public static readonly SigningKeySet Empty = new([], []);

    /// <summary>More keys than any real set holds: Google publishes three. A larger set is refused whole.</summary>
    public const int MaxKeys = 32;
    public const int MinRsaBits = 2048;
    public const int MaxRsaBits = 4096;

    SigningKeySet(IReadOnlyList<RsaSecurityKey> rsa, IReadOnlyList<(string? Kid, PublicKey Key)> ed25519,
        IReadOnlyList<string>? skipped = null)
    {
        Rsa = rsa;
        Ed25519 = ed25519;
        Skipped = skipped ?? [];
    }

    /// <summary>Why keys of the fetched set were left out (for a log line), e.g. an RSA key of 1024 bits.</summary>
    public IReadOnlyList<string> Skipped { get; }

    public IReadOnlyList<RsaSecurityKey> Rsa { get; }
    public IReadOnlyList<(string? Kid, PublicKey Key)> Ed25519 { get; }
    public int Count => Rsa.Count + Ed25519.Count;

    /// <summary>
    /// The Ed25519 key that verified the last <c>v1a</c> delivery, tried first next time: Google's set holds three
    /// keys and live entries name none, while one key signs nearly everything. A plain int: a stale read between
    /// threads only costs an extra check.
    /// </summary>
    int _lastVerifiedEd25519;

    /// <summary>The index in <see cref="Ed25519"/> of the key that verified last (0 before any).</summary>
    internal int LastVerifiedEd25519 => _lastVerifiedEd25519;

    /// <summary>True when a <c>v1a</c> entry of the header is a valid signature of the content by one of the Ed25519 keys.</summary>
    public bool VerifyV1a(string webhookId, string timestamp, ReadOnlySpan<byte> body, string signatureHeader)
    {
        if (!StandardWebhooks.VerifyV1a(Ed25519, _lastVerifiedEd25519, webhookId, timestamp, body, signatureHeader, out var verified))
            return false;
        _lastVerifiedEd25519 = verified;
        return true;
    }

    public RsaSecurityKey? FindRsa(string kid)
    {
        foreach (var key in Rsa)
            if (string.Equals(key.KeyId, kid, StringComparison.Ordinal))
                return key;
        return null;
    }

    /// <summary>
    /// Reads <c>{"keys":[...]}</c>. Keys of other types, with a <c>use</c> other than <c>sig</c>, or RSA keys outside
    /// 2048 to 4096 bits are skipped (a huge modulus would make every verification slow): a set that yields no usable
    /// key, or that lists more than <see cref="MaxKeys"/> keys, is an error, so a broken fetch never replaces a good set.
    /// </summary>
    /// <exception cref="FormatException">Not a JWKS, too many keys, or no usable key.</exception>
    public static SigningKeySet Parse(ReadOnlySpan<byte> json)
    {
        var rsa = new List<RsaSecurityKey>();
        var ed25519 = new List<(string?, PublicKey)>();
        var skipped = new List<string>();
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
                throw new FormatException("the JWKS has no \"keys\" array");
            if (keys.GetArrayLength() > MaxKeys)
                throw new FormatException($"the JWKS lists {keys.GetArrayLength()} keys, more than {MaxKeys}");
            foreach (var key in keys.EnumerateArray())
            {
                if (key.ValueKind != JsonValueKind.Object)
                    continue;
                var kid = String(key, "kid");
                var use = String(key, "use");
                if (use is not null && use != "sig")
                    continue;
                switch (String(key, "kty"))
                {
                    case "RSA" when String(key, "n") is { } n && String(key, "e") is { } e:
                        var modulus = Base64UrlEncoder.DecodeBytes(n);
                        var bits = BitLength(modulus);
                        if (bits is < MinRsaBits or > MaxRsaBits)
                        {
                            skipped.Add($"RSA key '{Printable(kid)}' has {bits} bits (accepted: {MinRsaBits} to {MaxRsaBits})");
                            continue;
                        }
                        var parameters = new RSAParameters { Modulus = modulus, Exponent = Base64UrlEncoder.DecodeBytes(e) };
                        rsa.Add(new RsaSecurityKey(parameters) { KeyId = kid });
                        break;
                    case "OKP" when String(key, "crv") == "Ed25519" && String(key, "x") is { } x:
                        if (PublicKey.TryImport(SignatureAlgorithm.Ed25519, Base64UrlEncoder.DecodeBytes(x),
                                KeyBlobFormat.RawPublicKey, out var publicKey))
                            ed25519.Add((kid, publicKey!));
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw new FormatException("the JWKS is not JSON: " + e.Message, e);
        }
        catch (ArgumentException e)
        {
            throw new FormatException("the JWKS has a malformed key: " + e.Message, e);
        }
        if (rsa.Count + ed25519.Count == 0)
            throw new FormatException("the JWKS holds no usable RSA or Ed25519 signing key");
        return new SigningKeySet(rsa, ed25519, skipped);
    }

    /// <summary>The modulus's size in bits, leading zero bytes (which base64url encoders sometimes keep) not counted.</summary>
    static int BitLength(byte[] modulus)
    {
        var first = 0;
        while (first < modulus.Length && modulus[first] == 0)
            first++;
        return first == modulus.Length ? 0 : (modulus.Length - first - 1) * 8 + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[first]));
    }

    /// <summary>A key id from the network goes into a log line: at most 64 characters, control characters dropped.</summary>
    static string Printable(string? kid) =>
        kid is null ? "" : new string(kid.Where(c => !char.IsControl(c)).Take(64).ToArray());

    static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
