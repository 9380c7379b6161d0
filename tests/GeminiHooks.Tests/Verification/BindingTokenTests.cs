using GeminiHooks.Binding;
using GeminiHooks.Verification;

namespace GeminiHooks.Tests.Verification;

/// <summary>The gh1 token on its own: what is valid, what is not, and why (interop with node is in DynamicBindingTests).</summary>
public class BindingTokenTests
{
    const string Key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAAAAAAAAAAA=";
    const string Rotated = "whsec_c2Vjb25kLWJpbmRpbmcta2V5LWZvci1yb3RhdGlvbg==";
    static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    static readonly IReadOnlyList<byte[]> Keys = [StandardWebhooks.DecodeSecret(Key)];

    [Fact]
    public void A_minted_token_has_the_documented_shape_and_is_valid_until_its_expiry_second()
    {
        var token = BindingToken.Mint(Key, Now.AddHours(1));
        var parts = token.Split('.');
        Assert.Equal(4, parts.Length);
        Assert.Equal("gh1", parts[0]);
        Assert.Equal(Now.AddHours(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), parts[1]);
        Assert.Equal(22, parts[2].Length);
        Assert.Equal(43, parts[3].Length);
        Assert.Equal(BindingTokenState.Valid, BindingToken.Check(token, Keys, Now));
        Assert.Equal(BindingTokenState.Valid, BindingToken.Check(token, Keys, Now.AddHours(1)));
        Assert.Equal(BindingTokenState.Expired, BindingToken.Check(token, Keys, Now.AddHours(1).AddSeconds(1)));
    }

    [Fact]
    public void Two_mints_differ_and_either_configured_key_validates_its_own_tokens()
    {
        var a = BindingToken.Mint(Key, Now.AddDays(1));
        var b = BindingToken.Mint(Rotated, Now.AddDays(1));
        Assert.NotEqual(a, BindingToken.Mint(Key, Now.AddDays(1)));
        IReadOnlyList<byte[]> both = [StandardWebhooks.DecodeSecret(Key), StandardWebhooks.DecodeSecret(Rotated)];
        Assert.Equal(BindingTokenState.Valid, BindingToken.Check(a, both, Now));
        Assert.Equal(BindingTokenState.Valid, BindingToken.Check(b, both, Now));
        Assert.Equal(BindingTokenState.Invalid, BindingToken.Check(b, Keys, Now));
    }

    [Theory]
    [InlineData(null, "Missing")]
    [InlineData("", "Missing")]
    [InlineData("gh2.1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Invalid")]
    [InlineData("gh1.-5.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Invalid")]
    [InlineData("gh1.1.short.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Invalid")]
    [InlineData("gh1.1.AAAAAAAAAAAAAAAAAAAAAA.AAAA", "Invalid")]
    [InlineData("gh1.1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "Invalid")]
    [InlineData("gh1.1.2.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Invalid")]
    [InlineData("not a token at all", "Invalid")]
    public void Malformed_tokens_are_invalid_not_errors(string? token, string expected) =>
        Assert.Equal(expected, BindingToken.Check(token, Keys, Now).ToString());

    [Fact]
    public void Altering_any_part_invalidates_and_an_expired_forgery_is_invalid_not_expired()
    {
        var token = BindingToken.Mint(Key, Now.AddHours(1));
        var parts = token.Split('.');
        var later = string.Join('.', parts[0], (long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), parts[2], parts[3]);
        Assert.Equal(BindingTokenState.Invalid, BindingToken.Check(later, Keys, Now));
        var otherNonce = string.Join('.', parts[0], parts[1], (parts[2][0] == 'A' ? "B" : "A") + parts[2][1..], parts[3]);
        Assert.Equal(BindingTokenState.Invalid, BindingToken.Check(otherNonce, Keys, Now));
        // A MAC text whose unused low bits differ decodes to the same bytes; it is refused, so one token has one spelling.
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var sibling = alphabet[alphabet.IndexOf(parts[3][^1], StringComparison.Ordinal) + 1]; // canonical: low 2 bits are 0
        var malleable = string.Join('.', parts[0], parts[1], parts[2], parts[3][..^1] + sibling);
        Assert.Equal(BindingTokenState.Invalid, BindingToken.Check(malleable, Keys, Now));
        var pastForgery = string.Join('.', parts[0], "1", parts[2], parts[3]);
        Assert.Equal(BindingTokenState.Invalid, BindingToken.Check(pastForgery, Keys, Now));
    }

    [Fact]
    public void The_default_lifetime_covers_a_48_hour_batch_and_a_day_of_retries_and_no_more()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now);
        var token = DynamicWebhookConfig.Create(["https://hooks.example.com/d"], Key, DynamicWebhookConfig.DefaultTimeToLive, time: time)
            .UserMetadata["geminihooks_token"];
        Assert.Equal(BindingTokenState.Valid, BindingToken.Check(token, Keys, Now.AddHours(72)));
        Assert.Equal(BindingTokenState.Expired, BindingToken.Check(token, Keys, Now.AddHours(72).AddSeconds(1)));
    }

    [Fact]
    public void The_config_carries_the_uris_the_callers_metadata_and_a_valid_token_and_refuses_bad_input()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now);
        var config = DynamicWebhookConfig.Create(["https://hooks.example.com/webhooks/gemini/dynamic"], Key, TimeSpan.FromDays(2),
            new Dictionary<string, string> { ["job"] = "42" }, time: time);
        Assert.Equal("42", config.UserMetadata["job"]);
        Assert.Equal(BindingTokenState.Valid, BindingToken.Check(config.UserMetadata["geminihooks_token"], Keys, Now.AddDays(2)));
        Assert.Equal(BindingTokenState.Expired, BindingToken.Check(config.UserMetadata["geminihooks_token"], Keys, Now.AddDays(2).AddSeconds(1)));
        var json = System.Text.Json.Nodes.JsonNode.Parse(config.ToJson())!;
        Assert.Equal("https://hooks.example.com/webhooks/gemini/dynamic", (string?)json["uris"]![0]);
        Assert.Equal("42", (string?)json["user_metadata"]!["job"]);

        Assert.Throws<ArgumentException>(() => DynamicWebhookConfig.Create([], Key, TimeSpan.FromDays(1)));
        Assert.Throws<ArgumentException>(() => DynamicWebhookConfig.Create(["ftp://x"], Key, TimeSpan.FromDays(1)));
        Assert.Throws<ArgumentException>(() => DynamicWebhookConfig.Create(["https://x"], Key, TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => DynamicWebhookConfig.Create(["https://x"], Key, TimeSpan.FromDays(1),
            new Dictionary<string, string> { ["geminihooks_token"] = "mine" }));
        Assert.Throws<FormatException>(() => DynamicWebhookConfig.Create(["https://x"], "whsec_!!", TimeSpan.FromDays(1)));
    }
}
