using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Verification;
using Microsoft.IdentityModel.Tokens;

namespace GeminiHooks.Server.Tests.Ingest;

/// <summary>Dynamic deliveries against a JWKS served on loopback, signed by jose (JWT) and node:crypto (v1a).</summary>
public class DynamicIngestTests : IAsyncLifetime
{
    const string Audience = DynamicReceiver.Audience;
    const string Path = DynamicReceiver.Path;
    DynamicReceiver _dynamic = null!;
    JwksServer _jwks = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;
    JsonObject _rsaPublic = null!, _rsaPrivate = null!, _edPublic = null!, _edPrivate = null!;

    public async Task InitializeAsync()
    {
        (_rsaPublic, _rsaPrivate) = await NodeSigner.GenerateKeyAsync("RS256", "rsa-1");
        (_edPublic, _edPrivate) = await NodeSigner.GenerateKeyAsync("EdDSA", "ed-1");
        _dynamic = await DynamicReceiver.StartAsync(_rsaPublic, _edPublic);
        (_jwks, _receiver, _client) = (_dynamic.Jwks, _dynamic.Receiver, _dynamic.Client);
    }

    public Task DisposeAsync() => _dynamic.DisposeAsync().AsTask();

    Dictionary<string, object> Claims(string id, string body, Action<Dictionary<string, object>>? change = null)
    {
        var envelope = JsonNode.Parse(body)!;
        var now = _receiver.Now;
        var claims = new Dictionary<string, object>
        {
            ["iss"] = "https://generativelanguage.googleapis.com",
            ["aud"] = Audience,
            ["iat"] = now,
            ["exp"] = now + 300,
            ["jti"] = id,
        };
        // The token covers the body: a claim equal to each of its top-level keys.
        foreach (var (key, value) in envelope.AsObject())
            claims[key] = value!.DeepClone();
        change?.Invoke(claims);
        return claims;
    }

    async Task<HttpResponseMessage> SendJwt(string id, string body, object header, Dictionary<string, object> claims, string? sentBody = null)
    {
        var token = await NodeSigner.SignJwtAsync(_rsaPrivate, header, claims);
        return await _client.SendAsync(Receiver.Delivery(Path, id, _receiver.Now.ToString(CultureInfo.InvariantCulture), token, sentBody ?? body));
    }

    static readonly object Rs256 = new { alg = "RS256", kid = "rsa-1", typ = "JWT" };

    [Fact]
    public async Task A_jose_RS256_JWT_delivery_is_accepted_and_a_redelivery_is_a_duplicate()
    {
        var body = Receiver.Event();
        using var response = await SendJwt("msg_jwt_1", body, Rs256, Claims("msg_jwt_1", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"accepted"}""", await response.Content.ReadAsStringAsync());
        using var again = await SendJwt("msg_jwt_1", body, Rs256, Claims("msg_jwt_1", body));
        Assert.Equal("""{"status":"duplicate"}""", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_node_crypto_v1a_Ed25519_delivery_is_accepted()
    {
        var body = Receiver.Event();
        var ts = _receiver.Now;
        var signature = await NodeSigner.SignV1aAsync(_edPrivate, "msg_v1a_1", ts, body);
        using var response = await _client.SendAsync(Receiver.Delivery(Path, "msg_v1a_1", ts.ToString(CultureInfo.InvariantCulture), signature, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_v1a_delivery_signed_by_our_own_signer_is_accepted_and_tampering_is_401()
    {
        using var key = NSec.Cryptography.Key.Import(NSec.Cryptography.SignatureAlgorithm.Ed25519,
            Base64UrlEncoder.DecodeBytes((string)_edPrivate["d"]!), NSec.Cryptography.KeyBlobFormat.RawPrivateKey);
        var body = Receiver.Event();
        var ts = _receiver.Now;
        var signature = StandardWebhooks.SignV1a(key, "msg_v1a_own", ts, Encoding.UTF8.GetBytes(body));
        using var ok = await _client.SendAsync(Receiver.Delivery(Path, "msg_v1a_own", ts.ToString(CultureInfo.InvariantCulture), signature, body));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var tampered = await _client.SendAsync(Receiver.Delivery(Path, "msg_v1a_bad", ts.ToString(CultureInfo.InvariantCulture), signature, body));
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
    }

    [Fact]
    public async Task A_JWT_with_an_empty_body_carries_the_event_in_its_claims_and_that_is_what_is_stored()
    {
        var body = Receiver.Event(type: "interaction.completed", id: "interactions/9");
        using var response = await SendJwt("msg_jwt_empty", body, Rs256, Claims("msg_jwt_empty", body), sentBody: "");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_receiver.DatabaseFile};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT type, body FROM events WHERE webhook_id = 'msg_jwt_empty'";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("interaction.completed", reader.GetString(0));
        var stored = JsonNode.Parse((byte[])reader.GetValue(1))!;
        Assert.Equal("interactions/9", (string)stored["data"]!["id"]!);
    }

    public static TheoryData<string, HttpStatusCode> JwtAttacks => new()
    {
        { "alg none", HttpStatusCode.Unauthorized },
        { "HS256 keyed with the RSA public key", HttpStatusCode.Unauthorized },
        { "wrong audience", HttpStatusCode.Unauthorized },
        { "expired", HttpStatusCode.Unauthorized },
        { "not yet valid", HttpStatusCode.Unauthorized },
        { "issued in the future", HttpStatusCode.Unauthorized },
        { "no expiry", HttpStatusCode.Unauthorized },
        { "event type differs from the body", HttpStatusCode.Unauthorized },
        { "event data differs from the body", HttpStatusCode.Unauthorized },
        { "jti differs from webhook-id", HttpStatusCode.Unauthorized },
        { "signature of another token", HttpStatusCode.Unauthorized },
        { "truncated token", HttpStatusCode.Unauthorized },
        { "v1 HMAC entry on the dynamic endpoint", HttpStatusCode.Unauthorized },
        { "garbage header", HttpStatusCode.BadRequest },
    };

    [Theory, MemberData(nameof(JwtAttacks))]
    public async Task Forged_or_unbound_tokens_are_rejected(string variant, HttpStatusCode expected)
    {
        var body = Receiver.Event();
        var id = "msg_attack";
        var ts = _receiver.Now.ToString(CultureInfo.InvariantCulture);
        string token;
        switch (variant)
        {
            case "alg none":
                var header = Base64UrlEncoder.Encode("""{"alg":"none","kid":"rsa-1","typ":"JWT"}""");
                var payload = Base64UrlEncoder.Encode(System.Text.Json.JsonSerializer.Serialize(Claims(id, body)));
                token = $"{header}.{payload}.";
                break;
            case "HS256 keyed with the RSA public key":
                token = await NodeSigner.SignJwtHmacAsync(_rsaPublic.ToJsonString(), new { alg = "HS256", kid = "rsa-1" }, Claims(id, body));
                break;
            case "wrong audience":
                token = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body, c => c["aud"] = "https://someone.else/hook"));
                break;
            case "expired":
                token = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body, c => { c["iat"] = _receiver.Now - 1000; c["exp"] = _receiver.Now - 301; }));
                break;
            case "not yet valid":
                token = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body, c => c["nbf"] = _receiver.Now + 600));
                break;
            case "issued in the future":
                token = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body, c => { c["iat"] = _receiver.Now + 600; c["exp"] = _receiver.Now + 900; }));
                break;
            case "no expiry":
                token = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body, c => c.Remove("exp")));
                break;
            case "event type differs from the body":
                token = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body, c => c["type"] = "batch.failed"));
                break;
            case "event data differs from the body":
                token = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body, c => c["data"] = new { id = "batches/other" }));
                break;
            case "jti differs from webhook-id":
                token = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims("msg_other", body));
                break;
            case "signature of another token":
                var genuine = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body));
                var other = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body, c => c["aud"] = "https://someone.else/hook"));
                token = string.Join('.', other.Split('.')[..2]) + "." + genuine.Split('.')[2];
                break;
            case "truncated token":
                var full = await NodeSigner.SignJwtAsync(_rsaPrivate, Rs256, Claims(id, body));
                token = full[..^10];
                break;
            case "v1 HMAC entry on the dynamic endpoint":
                token = StandardWebhooks.SignV1(StandardWebhooks.DecodeSecret(Receiver.Secret), id, _receiver.Now, Encoding.UTF8.GetBytes(body));
                break;
            case "garbage header":
                token = "hello world";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(variant));
        }
        using var response = await _client.SendAsync(Receiver.Delivery(Path, id, ts, token, body));
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_kid_triggers_one_refetch_and_then_verifies()
    {
        var (newPublic, newPrivate) = await NodeSigner.GenerateKeyAsync("RS256", "rsa-2");
        _jwks.SetKeys(_rsaPublic, _edPublic, newPublic);
        _receiver.Time.Advance(TimeSpan.FromSeconds(31)); // past Dynamic:JwksRefreshMin since the start-up fetch
        var fetchesBefore = _jwks.Fetches;
        var body = Receiver.Event();

        var token = await NodeSigner.SignJwtAsync(newPrivate, new { alg = "RS256", kid = "rsa-2" }, Claims("msg_rot_1", body));
        using var first = await _client.SendAsync(Receiver.Delivery(Path, "msg_rot_1", _receiver.Now.ToString(CultureInfo.InvariantCulture), token, body));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(fetchesBefore + 1, _jwks.Fetches);

        var second = await NodeSigner.SignJwtAsync(newPrivate, new { alg = "RS256", kid = "rsa-2" }, Claims("msg_rot_2", body));
        using var again = await _client.SendAsync(Receiver.Delivery(Path, "msg_rot_2", _receiver.Now.ToString(CultureInfo.InvariantCulture), second, body));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(fetchesBefore + 1, _jwks.Fetches); // now cached
    }

    [Fact]
    public async Task Unknown_kids_do_not_refetch_more_than_once_per_interval()
    {
        _receiver.Time.Advance(TimeSpan.FromSeconds(31));
        var fetchesBefore = _jwks.Fetches;
        var (_, strangerPrivate) = await NodeSigner.GenerateKeyAsync("RS256", "stranger");
        var body = Receiver.Event();
        for (var i = 0; i < 3; i++)
        {
            var token = await NodeSigner.SignJwtAsync(strangerPrivate, new { alg = "RS256", kid = "stranger" }, Claims($"msg_s{i}", body));
            using var response = await _client.SendAsync(Receiver.Delivery(Path, $"msg_s{i}", _receiver.Now.ToString(CultureInfo.InvariantCulture), token, body));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        Assert.Equal(fetchesBefore + 1, _jwks.Fetches);
    }

    [Fact]
    public async Task With_the_JWKS_down_known_keys_keep_verifying_and_an_unknown_key_gets_503()
    {
        _jwks.Available = false;
        _receiver.Time.Advance(TimeSpan.FromSeconds(31));
        var body = Receiver.Event();

        using (var known = await SendJwt("msg_down_1", body, Rs256, Claims("msg_down_1", body)))
            Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        var ts = _receiver.Now;
        var v1a = await NodeSigner.SignV1aAsync(_edPrivate, "msg_down_2", ts, body);
        using (var knownV1a = await _client.SendAsync(Receiver.Delivery(Path, "msg_down_2", ts.ToString(CultureInfo.InvariantCulture), v1a, body)))
            Assert.Equal(HttpStatusCode.OK, knownV1a.StatusCode);

        var (_, newPrivate) = await NodeSigner.GenerateKeyAsync("RS256", "rsa-new");
        var token = await NodeSigner.SignJwtAsync(newPrivate, new { alg = "RS256", kid = "rsa-new" }, Claims("msg_down_3", body));
        using var unknown = await _client.SendAsync(Receiver.Delivery(Path, "msg_down_3", _receiver.Now.ToString(CultureInfo.InvariantCulture), token, body));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
        Assert.NotNull(unknown.Headers.RetryAfter);

        // Back up: after the refresh interval, the new key is fetched and the same delivery goes through.
        _jwks.Available = true;
        _jwks.SetKeys(_rsaPublic, _edPublic, (await NodeSigner.GenerateKeyAsync("RS256", "unused")).Public);
        _receiver.Time.Advance(TimeSpan.FromSeconds(31));
        using var stillUnknown = await _client.SendAsync(Receiver.Delivery(Path, "msg_down_3", _receiver.Now.ToString(CultureInfo.InvariantCulture), token, body));
        Assert.Equal(HttpStatusCode.Unauthorized, stillUnknown.StatusCode); // reachable now, and the key is not there: 401
    }
}

/// <summary>Readiness waits for the first JWKS when dynamic webhooks are on.</summary>
public class DynamicReadinessTests
{
    [Fact]
    public async Task Readyz_is_503_until_a_JWKS_is_loaded_and_deliveries_get_503_meanwhile()
    {
        using var data = new TempDirectory();
        await using var jwks = await JwksServer.StartAsync();
        var (publicKey, privateKey) = await NodeSigner.GenerateKeyAsync("EdDSA", "ed-1");
        jwks.SetKeys(publicKey);
        jwks.Available = false;
        await using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dynamic:Enabled"] = "true",
            ["GeminiHooks:Dynamic:JwksUri"] = jwks.Uri,
            ["GeminiHooks:Dynamic:RequireAudience"] = "false",
            ["GeminiHooks:Dynamic:Binding:Mode"] = "Off", // these tests are about verification, not binding
        });
        using var client = receiver.Start();
        await Eventually.UntilAsync(() => Task.FromResult(jwks.Fetches > 0));
        using (var notReady = await client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Equal("not loaded", (string)JsonNode.Parse(await notReady.Content.ReadAsStringAsync())!["jwks"]!);
        }
        var body = Receiver.Event();
        var signedAt = receiver.Now.ToString(CultureInfo.InvariantCulture);
        var signature = await NodeSigner.SignV1aAsync(privateKey, "msg_1", receiver.Now, body);
        using (var early = await client.SendAsync(Receiver.Delivery("/webhooks/gemini/dynamic", "msg_1", signedAt, signature, body)))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);

        jwks.Available = true;
        receiver.Time.Advance(TimeSpan.FromSeconds(5)); // the background fetcher's retry delay
        await Eventually.UntilAsync(async () =>
        {
            using var ready = await client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        });
        using var later = await client.SendAsync(Receiver.Delivery("/webhooks/gemini/dynamic", "msg_1", signedAt, signature, body));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }
}
