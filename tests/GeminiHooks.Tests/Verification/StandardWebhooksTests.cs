using System.Text;
using GeminiHooks.Verification;

namespace GeminiHooks.Tests.Verification;

public class StandardWebhooksTests
{
    // The official Standard Webhooks test vectors.
    public static TheoryData<string, string, long, string, string> Vectors => new()
    {
        { "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}""",
          "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
        { "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
          """{"email":"test@example.com","username":"test_user"}""", "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=" },
    };

    [Theory, MemberData(nameof(Vectors))]
    public void Signs_the_official_vectors(string secret, string id, long timestamp, string body, string expected) =>
        Assert.Equal(expected, StandardWebhooks.SignV1(StandardWebhooks.DecodeSecret(secret), id, timestamp, Encoding.UTF8.GetBytes(body)));

    [Theory, MemberData(nameof(Vectors))]
    public void Verifies_the_official_vectors_with_and_without_prefix(string secret, string id, long timestamp, string body, string expected)
    {
        var ts = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(StandardWebhooks.VerifyV1([StandardWebhooks.DecodeSecret(secret)], id, ts, Encoding.UTF8.GetBytes(body), expected));
        Assert.True(StandardWebhooks.VerifyV1([StandardWebhooks.DecodeSecret(secret["whsec_".Length..])], id, ts, Encoding.UTF8.GetBytes(body), expected));
    }

    [Theory, MemberData(nameof(Vectors))]
    public void Rejects_the_vectors_altered_in_any_part(string secret, string id, long timestamp, string body, string expected)
    {
        var key = StandardWebhooks.DecodeSecret(secret);
        var ts = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(body);
        Assert.False(StandardWebhooks.VerifyV1([key], id + "x", ts, bytes, expected));
        Assert.False(StandardWebhooks.VerifyV1([key], id, (timestamp + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), bytes, expected));
        Assert.False(StandardWebhooks.VerifyV1([key], id, ts, Encoding.UTF8.GetBytes(body + " "), expected));
        Assert.False(StandardWebhooks.VerifyV1([StandardWebhooks.DecodeSecret("whsec_" + Convert.ToBase64String(new byte[24]))], id, ts, bytes, expected));
        Assert.False(StandardWebhooks.VerifyV1([key], id, ts, bytes, expected[..^4]));            // partial signature
        Assert.False(StandardWebhooks.VerifyV1([key], id, ts, bytes, "v2" + expected[2..]));      // other version
        Assert.False(StandardWebhooks.VerifyV1([], id, ts, bytes, expected));                      // no secret configured
    }

    [Fact]
    public void Any_matching_entry_among_several_and_any_of_several_secrets_is_enough()
    {
        var (id, ts, body) = ("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", Encoding.UTF8.GetBytes("""{"test": 2432232314}"""));
        var right = StandardWebhooks.DecodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var other = StandardWebhooks.DecodeSecret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
        var header = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,AAAA  v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= garbage";
        Assert.True(StandardWebhooks.VerifyV1([other, right], id, ts, body, header));
        Assert.False(StandardWebhooks.VerifyV1([other], id, ts, body, header));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("whsec_", "empty")]
    [InlineData("whsec_not*base64", "not base64")]
    [InlineData("whsec_c2hvcnQ=", "at least 16")]
    [InlineData("whsec_c2hvcnQ", "at least 16")]                    // unpadded, still too short
    [InlineData("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwB", "not base64")] // a length no padding can make whole
    public void Undecodable_secrets_say_why(string secret, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => StandardWebhooks.DecodeSecret(secret)).Message);

    [Theory]
    [InlineData("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS=")]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr==")]
    [InlineData("whsec_C2FVsBQIhrscChlQIMV-b5sSYspob7oD", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")]   // URL-safe alphabet
    [InlineData("whsec_C2FVsBQIhrscChlQIMV_b5sSYspob7oD", "whsec_C2FVsBQIhrscChlQIMV/b5sSYspob7oD")]
    public void Padding_is_optional_and_url_safe_base64_is_read(string written, string canonical) =>
        Assert.Equal(StandardWebhooks.DecodeSecret(canonical), StandardWebhooks.DecodeSecret(written));

    [Fact]
    public void The_unpadded_test_secret_decodes_to_23_bytes() =>
        Assert.Equal(23, StandardWebhooks.DecodeSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS").Length);

    [Fact]
    public void Generated_secrets_round_trip()
    {
        var secret = StandardWebhooks.GenerateSecret();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, StandardWebhooks.DecodeSecret(secret).Length);
    }

    [Fact]
    public void V1a_signatures_by_our_signer_verify_and_tampering_fails()
    {
        using var key = NSec.Cryptography.Key.Create(NSec.Cryptography.SignatureAlgorithm.Ed25519);
        var body = Encoding.UTF8.GetBytes("""{"type":"batch.succeeded"}""");
        var signature = StandardWebhooks.SignV1a(key, "msg_1", 1700000000, body);
        var keys = new List<(string?, NSec.Cryptography.PublicKey)> { ("k1", key.PublicKey) };
        Assert.True(StandardWebhooks.VerifyV1a(keys, "msg_1", "1700000000", body, signature));
        Assert.True(StandardWebhooks.VerifyV1a(keys, "msg_1", "1700000000", body, signature.Replace("v1a,", "v1a,k1,", StringComparison.Ordinal)));
        Assert.False(StandardWebhooks.VerifyV1a(keys, "msg_1", "1700000000", body, signature.Replace("v1a,", "v1a,k2,", StringComparison.Ordinal)));
        Assert.False(StandardWebhooks.VerifyV1a(keys, "msg_2", "1700000000", body, signature));
        Assert.False(StandardWebhooks.VerifyV1a(keys, "msg_1", "1700000000", body.Append((byte)' ').ToArray(), signature));
    }
}
