using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Verification;
using NSec.Cryptography;

namespace GeminiHooks.Tests.Verification;

/// <summary>
/// v1a entries from Gemini name no key, and Google's JWKS holds three Ed25519 keys: the set tries the key that verified
/// last first, so a steady signer costs one check, while any key of the set still verifies.
/// </summary>
public sealed class SigningKeySetTests
{
    static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"type":"batch.succeeded","data":{"id":"batches/1"}}""");

    [Fact]
    public void A_kidless_v1a_entry_verifies_against_any_of_three_keys_and_the_signer_is_tried_first_next_time()
    {
        using var k0 = Key.Create(SignatureAlgorithm.Ed25519);
        using var k1 = Key.Create(SignatureAlgorithm.Ed25519);
        using var k2 = Key.Create(SignatureAlgorithm.Ed25519);
        var set = SigningKeySet.Parse(Jwks(k0, k1, k2));
        Assert.Equal(3, set.Ed25519.Count);
        Assert.Equal(0, set.LastVerifiedEd25519);

        Assert.True(set.VerifyV1a("msg_1", "1700000000", Body, StandardWebhooks.SignV1a(k2, "msg_1", 1700000000, Body)));
        Assert.Equal(2, set.LastVerifiedEd25519);

        // A signature by another key of the set still verifies (a rotation), and becomes the preferred key.
        Assert.True(set.VerifyV1a("msg_2", "1700000000", Body, StandardWebhooks.SignV1a(k0, "msg_2", 1700000000, Body)));
        Assert.Equal(0, set.LastVerifiedEd25519);

        // A failure leaves the preference alone.
        using var stranger = Key.Create(SignatureAlgorithm.Ed25519);
        Assert.False(set.VerifyV1a("msg_3", "1700000000", Body, StandardWebhooks.SignV1a(stranger, "msg_3", 1700000000, Body)));
        Assert.False(set.VerifyV1a("msg_4", "1700000000", Body, StandardWebhooks.SignV1a(k1, "msg_1", 1700000000, Body)));
        Assert.Equal(0, set.LastVerifiedEd25519);
    }

    [Fact]
    public void The_search_wraps_around_from_the_preferred_key_and_reports_which_key_verified()
    {
        using var k0 = Key.Create(SignatureAlgorithm.Ed25519);
        using var k1 = Key.Create(SignatureAlgorithm.Ed25519);
        var keys = new List<(string?, PublicKey)> { ("a", k0.PublicKey), ("b", k1.PublicKey) };
        var signature = StandardWebhooks.SignV1a(k0, "msg_1", 1700000000, Body);

        Assert.True(StandardWebhooks.VerifyV1a(keys, firstKey: 1, "msg_1", "1700000000", Body, signature, out var verified));
        Assert.Equal(0, verified);
        // An index past the end (a set that shrank on refetch) starts from the first key.
        Assert.True(StandardWebhooks.VerifyV1a(keys, firstKey: 7, "msg_1", "1700000000", Body, signature, out verified));
        Assert.Equal(0, verified);
        Assert.False(StandardWebhooks.VerifyV1a(keys, firstKey: 0, "msg_2", "1700000000", Body, signature, out verified));
        Assert.Equal(-1, verified);
    }

    static byte[] Jwks(params Key[] keys)
    {
        var array = new JsonArray();
        for (var i = 0; i < keys.Length; i++)
            array.Add(new JsonObject
            {
                ["kty"] = "OKP", ["crv"] = "Ed25519", ["kid"] = "key-" + i, ["use"] = "sig",
                ["x"] = Base64Url.EncodeToString(keys[i].PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            });
        return Encoding.UTF8.GetBytes(new JsonObject { ["keys"] = array }.ToJsonString());
    }
}
