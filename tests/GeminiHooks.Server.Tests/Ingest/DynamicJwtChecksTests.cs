using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace GeminiHooks.Server.Tests.Ingest;

/// <summary>
/// JWT deliveries checked as strictly as the RFCs ask, each signed by jose (node): <c>crit</c> per RFC 7515 section
/// 4.1.11, exact audience comparison, and <c>iat</c> bound to the <c>webhook-timestamp</c> header so that a captured
/// token cannot be replayed with a refreshed header. Every 401 says which check failed.
/// </summary>
public class DynamicJwtChecksTests : IAsyncLifetime
{
    const string Audience = DynamicReceiver.Audience;
    const string Path = DynamicReceiver.Path;
    DynamicReceiver _dynamic = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;
    JsonObject _rsaPrivate = null!;

    public async Task InitializeAsync()
    {
        (var rsaPublic, _rsaPrivate) = await NodeSigner.GenerateKeyAsync("RS256", "rsa-checks");
        _dynamic = await DynamicReceiver.StartAsync(rsaPublic);
        (_receiver, _client) = (_dynamic.Receiver, _dynamic.Client);
    }

    public Task DisposeAsync() => _dynamic.DisposeAsync().AsTask();

    Dictionary<string, object> Claims(string id, string body, long iat)
    {
        var claims = new Dictionary<string, object>
        {
            ["iss"] = "https://generativelanguage.googleapis.com",
            ["aud"] = Audience,
            ["iat"] = iat,
            ["exp"] = iat + 3600,
            ["jti"] = id,
        };
        // The token covers the body: a claim equal to each of its top-level keys.
        foreach (var (key, value) in JsonNode.Parse(body)!.AsObject())
            claims[key] = value!.DeepClone();
        return claims;
    }

    async Task<(HttpStatusCode Status, string Body)> SendAsync(string id, string token, string body, long? headerTimestamp = null)
    {
        using var response = await _client.SendAsync(Receiver.Delivery(Path, id,
            (headerTimestamp ?? _receiver.Now).ToString(CultureInfo.InvariantCulture), token, body));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, string> CritHeaders => new()
    {
        // An extension this receiver does not understand, present in the header as the RFC requires.
        { """{"alg":"RS256","kid":"rsa-checks","crit":["urn:example:ext"],"urn:example:ext":true}""", "does not understand" },
        // Malformed: not an array, empty, naming an absent parameter, naming a non-string.
        { """{"alg":"RS256","kid":"rsa-checks","crit":"urn:example:ext","urn:example:ext":true}""", "not a non-empty list" },
        { """{"alg":"RS256","kid":"rsa-checks","crit":[]}""", "not a non-empty list" },
        { """{"alg":"RS256","kid":"rsa-checks","crit":["urn:example:absent"]}""", "not a non-empty list" },
        { """{"alg":"RS256","kid":"rsa-checks","crit":[7],"7":1}""", "not a non-empty list" },
    };

    [Theory, MemberData(nameof(CritHeaders))]
    public async Task A_token_with_crit_is_refused_401_saying_so(string header, string detail)
    {
        var body = Receiver.Event();
        var id = "msg_crit_" + Math.Abs(header.GetHashCode(StringComparison.Ordinal));
        var token = await RawJwtAsync(header, Claims(id, body, _receiver.Now));
        var (status, answer) = await SendAsync(id, token, body);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("crit", answer, StringComparison.Ordinal);
        Assert.Contains(detail, answer, StringComparison.Ordinal);

        // The same claims without crit verify: the refusal is the crit header's doing.
        var plain = await RawJwtAsync("""{"alg":"RS256","kid":"rsa-checks"}""", Claims(id, body, _receiver.Now));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(id, plain, body)).Status);
    }

    /// <summary>Signed by tests/js/raw-jwt.mjs (node:crypto): jose will not sign a header with an unknown crit.</summary>
    async Task<string> RawJwtAsync(string header, Dictionary<string, object> claims) =>
        (string)(await Node.RunAsync("raw-jwt.mjs", "sign", new { privateJwk = _rsaPrivate, header, claims }))["token"]!;

    [Fact]
    public async Task An_audience_differing_only_by_a_trailing_slash_is_refused_401_naming_the_audience_check()
    {
        var body = Receiver.Event();
        var claims = Claims("msg_aud_slash", body, _receiver.Now);
        claims["aud"] = Audience + "/";
        var token = await NodeSigner.SignJwtAsync(_rsaPrivate, new { alg = "RS256", kid = "rsa-checks" }, claims);
        var (status, answer) = await SendAsync("msg_aud_slash", token, body);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("aud is not one of Dynamic:Audiences", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_captured_token_replayed_with_a_refreshed_timestamp_header_is_refused()
    {
        var body = Receiver.Event();
        var issuedAt = _receiver.Now;
        var token = await NodeSigner.SignJwtAsync(_rsaPrivate, new { alg = "RS256", kid = "rsa-checks" }, Claims("msg_replayed", body, issuedAt));

        // Ten minutes later (past the 5-minute tolerance), with the id no longer known to the store: the original
        // header is outside the window, and a fresh header no longer agrees with the token's iat.
        _receiver.Time.Advance(TimeSpan.FromMinutes(10));
        var (stale, _) = await SendAsync("msg_replayed", token, body, issuedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, stale);
        var (refreshed, answer) = await SendAsync("msg_replayed", token, body);
        Assert.Equal(HttpStatusCode.Unauthorized, refreshed);
        Assert.Contains("webhook-timestamp does not agree with the JWT's iat", answer, StringComparison.Ordinal);

        // Within the tolerance of iat the header may differ (clock skew, a prompt retry).
        var fresh = await NodeSigner.SignJwtAsync(_rsaPrivate, new { alg = "RS256", kid = "rsa-checks" }, Claims("msg_skewed", body, _receiver.Now - 60));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("msg_skewed", fresh, body)).Status);
    }

    [Fact]
    public async Task A_token_without_iat_is_refused_401_naming_the_claim()
    {
        var body = Receiver.Event();
        var claims = Claims("msg_no_iat", body, _receiver.Now);
        claims.Remove("iat");
        var token = await NodeSigner.SignJwtAsync(_rsaPrivate, new { alg = "RS256", kid = "rsa-checks" }, claims);
        var (status, answer) = await SendAsync("msg_no_iat", token, body);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("no iat claim", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_401_detail_of_a_wrong_signature_differs_from_that_of_a_wrong_audience()
    {
        var body = Receiver.Event();
        var token = await NodeSigner.SignJwtAsync(_rsaPrivate, new { alg = "RS256", kid = "rsa-checks" }, Claims("msg_sig", body, _receiver.Now));
        var parts = token.Split('.');
        var tampered = parts[0] + "." + parts[1] + "." + Base64UrlEncoder.Encode(new byte[256]);
        var (status, answer) = await SendAsync("msg_sig", tampered, body);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.DoesNotContain("aud", answer, StringComparison.Ordinal);
        Assert.Contains("verif", answer, StringComparison.Ordinal);
    }
}
