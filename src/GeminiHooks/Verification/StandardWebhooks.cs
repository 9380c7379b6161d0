using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace GeminiHooks.Verification;

/// <summary>
/// Standard Webhooks signatures: symmetric <c>v1</c> (HMAC-SHA256) and asymmetric <c>v1a</c> (Ed25519),
/// both over the bytes <c>{webhook-id}.{webhook-timestamp}.{raw body}</c>.
/// Used by the receiver to verify and by the CLI, the emulator and the <c>http</c> handler to sign.
/// </summary>
public static class StandardWebhooks
{
    public const string SecretPrefix = "whsec_";
    const int HmacSize = 32;
    const int Ed25519SignatureSize = 64;

    /// <summary>
    /// Decodes a <c>whsec_&lt;base64&gt;</c> secret. The prefix and the <c>=</c> padding are optional, and URL-safe
    /// base64 (<c>-</c>, <c>_</c>) is read too, as the reference Standard Webhooks libraries read them.
    /// </summary>
    /// <exception cref="FormatException">The secret is empty, not base64, or shorter than 16 bytes.</exception>
    public static byte[] DecodeSecret(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        if (encoded.Length == 0)
            throw new FormatException("the secret is empty");
        byte[] key;
        try { key = Convert.FromBase64String(Padded(encoded)); }
        catch (FormatException) { throw new FormatException("the secret is not base64 (expected whsec_<base64>)"); }
        if (key.Length < 16)
            throw new FormatException($"the secret decodes to {key.Length} bytes; at least 16 are required");
        return key;
    }

    /// <summary>Standard base64 with its padding restored; a length no padding can fix is left for the decoder to refuse.</summary>
    static string Padded(string encoded)
    {
        var text = encoded.TrimEnd('=').Replace('-', '+').Replace('_', '/');
        return (text.Length % 4) switch
        {
            2 => text + "==",
            3 => text + "=",
            _ => text,
        };
    }

    /// <summary>A new random 32-byte secret, <c>whsec_</c>-prefixed.</summary>
    public static string GenerateSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The <c>v1,&lt;base64&gt;</c> entry for one secret.</summary>
    public static string SignV1(ReadOnlySpan<byte> key, string webhookId, long timestamp, ReadOnlySpan<byte> body)
    {
        Span<byte> mac = stackalloc byte[HmacSize];
        using (var content = SignedContent.Create(webhookId, timestamp.ToString(CultureInfo.InvariantCulture), body))
            HMACSHA256.HashData(key, content.Span, mac);
        return "v1," + Convert.ToBase64String(mac);
    }

    /// <summary>The <c>v1a,&lt;base64&gt;</c> entry for one Ed25519 private key.</summary>
    public static string SignV1a(Key ed25519PrivateKey, string webhookId, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(ed25519PrivateKey);
        using var content = SignedContent.Create(webhookId, timestamp.ToString(CultureInfo.InvariantCulture), body);
        return "v1a," + Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(ed25519PrivateKey, content.Span));
    }

    /// <summary>
    /// At most this many distinct entries of one scheme are considered; later ones and repeats are skipped. Gemini
    /// signs with one secret or key, two or three during a rotation: the cap keeps an unauthenticated header of many
    /// entries from costing one check per entry and key (an Ed25519 check is about 50 µs).
    /// </summary>
    internal const int MaxEntriesPerScheme = 4;

    /// <summary>
    /// True when any <c>v1</c> entry of <paramref name="signatureHeader"/> is the HMAC of the content under any key.
    /// Entries of other versions are skipped, and only the first <see cref="MaxEntriesPerScheme"/> distinct <c>v1</c>
    /// entries are compared. The comparison is constant-time.
    /// </summary>
    public static bool VerifyV1(IReadOnlyList<byte[]> keys, string webhookId, string timestamp, ReadOnlySpan<byte> body, string signatureHeader)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
            return false;
        Span<byte> candidates = stackalloc byte[MaxEntriesPerScheme * HmacSize];
        Span<Range> noKeyIds = stackalloc Range[MaxEntriesPerScheme];
        var count = DistinctEntries(signatureHeader, "v1", candidates, HmacSize, noKeyIds);
        if (count == 0)
            return false;
        using var content = SignedContent.Create(webhookId, timestamp, body);
        Span<byte> expected = stackalloc byte[HmacSize];
        var matched = false;
        // Indexed, not foreach: enumerating an IReadOnlyList boxes its enumerator on every delivery.
        for (var k = 0; k < keys.Count; k++)
        {
            HMACSHA256.HashData(keys[k], content.Span, expected);
            for (var c = 0; c < count; c++)
            {
                // No early exit: the time taken does not tell which key or entry matched.
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidates.Slice(c * HmacSize, HmacSize));
            }
        }
        return matched;
    }

    /// <summary>
    /// True when any <c>v1a</c> entry is a valid Ed25519 signature of the content by one of the keys.
    /// An entry may name its key as <c>v1a,&lt;kid&gt;,&lt;base64&gt;</c>; then only that key is tried. Only the first
    /// <see cref="MaxEntriesPerScheme"/> distinct <c>v1a</c> entries are tried.
    /// </summary>
    public static bool VerifyV1a(IReadOnlyList<(string? Kid, PublicKey Key)> keys, string webhookId, string timestamp, ReadOnlySpan<byte> body, string signatureHeader) =>
        VerifyV1a(keys, firstKey: 0, webhookId, timestamp, body, signatureHeader, out _, out _);

    /// <summary>As below, without the count of checks.</summary>
    internal static bool VerifyV1a(IReadOnlyList<(string? Kid, PublicKey Key)> keys, int firstKey, string webhookId, string timestamp,
        ReadOnlySpan<byte> body, string signatureHeader, out int verifiedKey) =>
        VerifyV1a(keys, firstKey, webhookId, timestamp, body, signatureHeader, out verifiedKey, out _);

    /// <summary>
    /// As above, trying the keys from <paramref name="firstKey"/> on (wrapping around), and telling which one verified
    /// and how many Ed25519 checks it took (<paramref name="checks"/>: at most <see cref="MaxEntriesPerScheme"/> times
    /// the number of keys, whatever the header holds). Entries without a key id are checked against every key in turn;
    /// starting with the key that verified last makes the usual delivery cost one Ed25519 check instead of up to one
    /// per key. The order may leak which key signed, which is public anyway: unlike an HMAC, a public-key check needs no
    /// constant-time ordering.
    /// </summary>
    internal static bool VerifyV1a(IReadOnlyList<(string? Kid, PublicKey Key)> keys, int firstKey, string webhookId, string timestamp,
        ReadOnlySpan<byte> body, string signatureHeader, out int verifiedKey, out int checks)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(signatureHeader);
        verifiedKey = -1;
        checks = 0;
        if (keys.Count == 0)
            return false;
        Span<byte> signatures = stackalloc byte[MaxEntriesPerScheme * Ed25519SignatureSize];
        Span<Range> keyIds = stackalloc Range[MaxEntriesPerScheme];
        var count = DistinctEntries(signatureHeader, "v1a", signatures, Ed25519SignatureSize, keyIds);
        if (count == 0)
            return false;
        using var content = SignedContent.Create(webhookId, timestamp, body);
        var start = firstKey >= 0 && firstKey < keys.Count ? firstKey : 0;
        for (var e = 0; e < count; e++)
        {
            var signature = signatures.Slice(e * Ed25519SignatureSize, Ed25519SignatureSize);
            var entryKid = signatureHeader.AsSpan()[keyIds[e]];
            for (var i = 0; i < keys.Count; i++)
            {
                var k = (start + i) % keys.Count;
                var (kid, key) = keys[k];
                if (!entryKid.IsEmpty && !entryKid.SequenceEqual(kid))
                    continue;
                checks++;
                if (SignatureAlgorithm.Ed25519.Verify(key, content.Span, signature))
                {
                    verifiedKey = k;
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// Decodes the first <see cref="MaxEntriesPerScheme"/> distinct well-formed entries of <paramref name="version"/>
    /// into consecutive <paramref name="size"/>-byte slots of <paramref name="signatures"/>, with each entry's key id as a
    /// range of the header (empty when it names none). An entry whose signature is not base64 of that size is skipped.
    /// </summary>
    static int DistinctEntries(string header, ReadOnlySpan<char> version, Span<byte> signatures, int size, Span<Range> keyIds)
    {
        var count = 0;
        foreach (var entry in new SignatureEntries(header))
        {
            if (count == MaxEntriesPerScheme)
                break;
            if (!entry.Version.SequenceEqual(version))
                continue;
            var slot = signatures.Slice(count * size, size);
            if (!Convert.TryFromBase64Chars(entry.Signature, slot, out var written) || written != size)
                continue;
            var keyId = header.AsSpan().Overlaps(entry.KeyId, out var at) ? new Range(at, at + entry.KeyId.Length) : default;
            var repeat = false;
            // Comparing attacker-sent signatures with each other needs no constant time: no secret is involved.
            for (var earlier = 0; earlier < count && !repeat; earlier++)
                repeat = signatures.Slice(earlier * size, size).SequenceEqual(slot) &&
                         header.AsSpan()[keyIds[earlier]].SequenceEqual(entry.KeyId);
            if (repeat)
                continue;
            keyIds[count] = keyId;
            count++;
        }
        return count;
    }

    /// <summary>True when the header holds at least one <c>version,signature</c> entry.</summary>
    public static bool HasEntries(string signatureHeader)
    {
        foreach (var _ in new SignatureEntries(signatureHeader))
            return true;
        return false;
    }

    /// <summary>True when the header holds at least one entry of this version.</summary>
    public static bool HasEntries(string signatureHeader, string version)
    {
        foreach (var entry in new SignatureEntries(signatureHeader))
            if (entry.Version.SequenceEqual(version))
                return true;
        return false;
    }

    /// <summary>The signed bytes in a pooled buffer, built once per verification.</summary>
    readonly struct SignedContent : IDisposable
    {
        readonly byte[] _buffer;
        readonly int _length;

        SignedContent(byte[] buffer, int length) { _buffer = buffer; _length = length; }

        public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

        public static SignedContent Create(string webhookId, string timestamp, ReadOnlySpan<byte> body)
        {
            var length = Encoding.UTF8.GetByteCount(webhookId) + 1 + Encoding.UTF8.GetByteCount(timestamp) + 1 + body.Length;
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            var at = Encoding.UTF8.GetBytes(webhookId, buffer);
            buffer[at++] = (byte)'.';
            at += Encoding.UTF8.GetBytes(timestamp, buffer.AsSpan(at));
            buffer[at++] = (byte)'.';
            body.CopyTo(buffer.AsSpan(at));
            return new SignedContent(buffer, length);
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
    }

    /// <summary>Enumerates space-separated <c>version,signature</c> (or <c>version,kid,signature</c>) entries without allocating.</summary>
    internal ref struct SignatureEntries(string header)
    {
        ReadOnlySpan<char> _rest = header;

        public Entry Current { get; private set; }

        public readonly SignatureEntries GetEnumerator() => this;

        public bool MoveNext()
        {
            while (true)
            {
                _rest = _rest.TrimStart(' ');
                if (_rest.IsEmpty)
                    return false;
                var end = _rest.IndexOf(' ');
                var token = end < 0 ? _rest : _rest[..end];
                _rest = end < 0 ? [] : _rest[end..];
                var comma = token.IndexOf(',');
                if (comma <= 0 || comma == token.Length - 1)
                    continue;
                var version = token[..comma];
                var value = token[(comma + 1)..];
                var second = value.LastIndexOf(',');
                Current = second < 0
                    ? new Entry(version, [], value)
                    : new Entry(version, value[..second], value[(second + 1)..]);
                return true;
            }
        }
    }

    internal readonly ref struct Entry(ReadOnlySpan<char> version, ReadOnlySpan<char> keyId, ReadOnlySpan<char> signature)
    {
        public ReadOnlySpan<char> Version { get; } = version;
        public ReadOnlySpan<char> KeyId { get; } = keyId;
        public ReadOnlySpan<char> Signature { get; } = signature;
    }
}
