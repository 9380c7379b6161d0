using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace GeminiHooks.Server.Tests.Ingest;

/// <summary>
/// A JWT delivery is accepted only when the token names the delivery (<c>jti</c> = <c>webhook-id</c>) and covers its
/// whole body (a <c>body_sha256</c> claim, or a claim equal to every top-level key), with no repeated JSON key and
/// Google's issuer by default. Tokens signed by jose (node), or by node:crypto over raw text where jose cannot write
/// the payload; each refusal is a 401 with its own reason code.
/// </summary>
public class DynamicJwtCoverageTests : IAsyncLifetime
{
    const string Path = DynamicReceiver.Path;
    static readonly object Header = new { alg = "RS256", kid = "rsa-cover" };
    DynamicReceiver _dynamic = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;
    JsonObject _private = null!;

    public async Task InitializeAsync()
    {
        (var rsaPublic, _private) = await NodeSigner.GenerateKeyAsync("RS256", "rsa-cover");
        _dynamic = await DynamicReceiver.StartAsync(rsaPublic);
        (_receiver, _client) = (_dynamic.Receiver, _dynamic.Client);
    }

    public Task DisposeAsync() => _dynamic.DisposeAsync().AsTask();

    /// <summary>Claims that name <paramref name="id"/> and cover <paramref name="body"/> key by key.</summary>
    JsonObject Covering(string id, string body)
    {
        var claims = new JsonObject
        {
            ["iss"] = "https://generativelanguage.googleapis.com",
            ["aud"] = DynamicReceiver.Audience,
            ["iat"] = _receiver.Now,
            ["exp"] = _receiver.Now + 300,
            ["jti"] = id,
        };
        foreach (var (key, value) in JsonNode.Parse(body)!.AsObject())
            claims[key] = value!.DeepClone();
        return claims;
    }

    Task<string> SignAsync(JsonObject claims) => NodeSigner.SignJwtAsync(_private, Header, claims);

    async Task<string> RawAsync(string header, string claims) =>
        (string)(await Node.RunAsync("raw-jwt.mjs", "sign", new { privateJwk = _private, header, claims }))["token"]!;

    async Task<(HttpStatusCode Status, string Answer)> SendAsync(string id, string token, string body)
    {
        using var response = await _client.SendAsync(Receiver.Delivery(Path, id, _receiver.Now.ToString(CultureInfo.InvariantCulture), token, body));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    static void AssertRefused((HttpStatusCode Status, string Answer) answer, string reason)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
        Assert.Contains($"({reason})", answer.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_covering_every_key_of_the_body_is_accepted()
    {
        var body = Receiver.Event();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("msg_cover_ok", await SignAsync(Covering("msg_cover_ok", body)), body)).Status);
    }

    [Fact]
    public async Task A_token_without_jti_is_refused()
    {
        var body = Receiver.Event();
        var claims = Covering("msg_no_jti", body);
        claims.Remove("jti");
        AssertRefused(await SendAsync("msg_no_jti", await SignAsync(claims), body), "token_without_jti");
    }

    [Fact]
    public async Task A_token_with_jti_but_no_event_claims_does_not_cover_the_body()
    {
        var body = Receiver.Event();
        var claims = Covering("msg_bare", body);
        claims.Remove("type");
        claims.Remove("data");
        claims.Remove("version");
        claims.Remove("timestamp");
        AssertRefused(await SendAsync("msg_bare", await SignAsync(claims), body), "token_body_not_covered");
    }

    [Fact]
    public async Task A_top_level_key_the_token_does_not_carry_is_refused_user_metadata_included()
    {
        var body = Receiver.Event();
        var token = await SignAsync(Covering("msg_extra", body));
        var withMetadata = JsonNode.Parse(body)!.AsObject();
        withMetadata["user_metadata"] = new JsonObject { ["geminihooks_token"] = "gh1.forged" };
        AssertRefused(await SendAsync("msg_extra", token, withMetadata.ToJsonString()), "token_body_not_covered");

        // A top-level key whose value differs from its claim is not covered either.
        var otherVersion = JsonNode.Parse(body)!.AsObject();
        otherVersion["version"] = "v2";
        AssertRefused(await SendAsync("msg_extra", token, otherVersion.ToJsonString()), "token_body_not_covered");
    }

    [Fact]
    public async Task Repeated_keys_in_the_body_or_the_token_are_refused()
    {
        var body = Receiver.Event();
        var token = await SignAsync(Covering("msg_dup_body", body));
        var duplicated = body[..^1] + ""","type":"batch.failed"}""";
        AssertRefused(await SendAsync("msg_dup_body", token, duplicated), "body_duplicate_keys");

        var claims = Covering("msg_dup_claims", body).ToJsonString();
        var repeatedClaim = claims[..^1] + ""","jti":"msg_other"}""";
        AssertRefused(await SendAsync("msg_dup_claims", await RawAsync("""{"alg":"RS256","kid":"rsa-cover"}""", repeatedClaim), body),
            "token_duplicate_keys");
        AssertRefused(await SendAsync("msg_dup_claims", await RawAsync("""{"alg":"RS256","kid":"rsa-cover","kid":"rsa-cover"}""", claims), body),
            "token_duplicate_keys");
        // The same claims as written once verify: the refusals are the repeated keys' doing.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("msg_dup_claims", await RawAsync("""{"alg":"RS256","kid":"rsa-cover"}""", claims), body)).Status);
    }

    [Theory]
    [InlineData("https://accounts.google.com")]
    [InlineData(null)]
    public async Task A_token_not_issued_by_Googles_issuer_is_refused_by_default(string? issuer)
    {
        var body = Receiver.Event();
        var claims = Covering("msg_iss", body);
        if (issuer is null)
            claims.Remove("iss");
        else
            claims["iss"] = issuer;
        AssertRefused(await SendAsync("msg_iss", await SignAsync(claims), body), "token_issuer");
    }

    [Fact]
    public async Task A_body_digest_claim_covers_any_body_and_a_wrong_digest_is_refused()
    {
        var body = JsonNode.Parse(Receiver.Event())!.AsObject();
        body["user_metadata"] = new JsonObject { ["job"] = "nightly" };
        var text = body.ToJsonString();
        var claims = new JsonObject
        {
            ["iss"] = "https://generativelanguage.googleapis.com",
            ["aud"] = DynamicReceiver.Audience,
            ["iat"] = _receiver.Now,
            ["exp"] = _receiver.Now + 300,
            ["jti"] = "msg_digest",
            ["body_sha256"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(text))),
        };
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("msg_digest", await SignAsync(claims), text)).Status);

        claims["jti"] = "msg_digest_wrong";
        AssertRefused(await SendAsync("msg_digest_wrong", await SignAsync(claims), text.Replace("nightly", "daily", StringComparison.Ordinal)),
            "token_body_digest_mismatch");
    }
}
