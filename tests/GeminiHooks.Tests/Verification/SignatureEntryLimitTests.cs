using System.Security.Cryptography;
using System.Text;
using GeminiHooks.Verification;
using NSec.Cryptography;

namespace GeminiHooks.Tests.Verification;

/// <summary>
/// Before a delivery is authenticated, its signature header costs at most four distinct entries per scheme: a header of
/// 170 entries (what 16 KiB holds) is not tried 170 times against every key, and repeating an entry does not use up
/// the four.
/// </summary>
public sealed class SignatureEntryLimitTests
{
    static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"type":"batch.succeeded","data":{"id":"batches/1"}}""");
    const string Id = "msg_limit";
    const long Timestamp = 1_700_000_000;

    static string RandomEntry(string version, int size) => version + "," + Convert.ToBase64String(RandomNumberGenerator.GetBytes(size));

    static string Entries(string version, int size, int count) =>
        string.Join(' ', Enumerable.Range(0, count).Select(_ => RandomEntry(version, size)));

    [Fact]
    public void One_hundred_and_seventy_v1a_entries_cost_at_most_four_checks_per_key()
    {
        using var k0 = Key.Create(SignatureAlgorithm.Ed25519);
        using var k1 = Key.Create(SignatureAlgorithm.Ed25519);
        using var k2 = Key.Create(SignatureAlgorithm.Ed25519);
        (string? Kid, PublicKey Key)[] keys = [(null, k0.PublicKey), (null, k1.PublicKey), (null, k2.PublicKey)];
        var header = Entries("v1a", 64, 170);

        Assert.False(StandardWebhooks.VerifyV1a(keys, 0, Id, "1700000000", Body, header, out _, out var checks));
        Assert.Equal(StandardWebhooks.MaxEntriesPerScheme * keys.Length, checks); // 12, not 510
    }

    [Fact]
    public void A_valid_v1a_entry_after_four_others_is_not_tried_but_after_repeats_of_one_it_is()
    {
        using var signer = Key.Create(SignatureAlgorithm.Ed25519);
        (string? Kid, PublicKey Key)[] keys = [(null, signer.PublicKey)];
        var valid = StandardWebhooks.SignV1a(signer, Id, Timestamp, Body);

        Assert.True(StandardWebhooks.VerifyV1a(keys, 0, Id, "1700000000", Body, valid + " " + Entries("v1a", 64, 169), out _, out var first));
        Assert.Equal(1, first);
        Assert.False(StandardWebhooks.VerifyV1a(keys, 0, Id, "1700000000", Body, Entries("v1a", 64, 4) + " " + valid, out _, out _));

        var repeated = string.Join(' ', Enumerable.Repeat(RandomEntry("v1a", 64), 50));
        Assert.True(StandardWebhooks.VerifyV1a(keys, 0, Id, "1700000000", Body, repeated + " " + valid, out _, out var afterRepeats));
        Assert.Equal(2, afterRepeats); // the repeated entry once, then the valid one
    }

    [Fact]
    public void Only_the_first_four_distinct_v1_entries_are_compared()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var valid = StandardWebhooks.SignV1(secret, Id, Timestamp, Body);

        Assert.True(StandardWebhooks.VerifyV1([secret], Id, "1700000000", Body, Entries("v1", 32, 3) + " " + valid));
        Assert.False(StandardWebhooks.VerifyV1([secret], Id, "1700000000", Body, Entries("v1", 32, 4) + " " + valid));
        var repeated = string.Join(' ', Enumerable.Repeat(RandomEntry("v1", 32), 50));
        Assert.True(StandardWebhooks.VerifyV1([secret], Id, "1700000000", Body, repeated + " " + valid));
        // Entries of another scheme do not use up the four.
        Assert.True(StandardWebhooks.VerifyV1([secret], Id, "1700000000", Body, Entries("v1a", 64, 10) + " " + valid));
    }
}
