using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using GeminiHooks.Events;
using GeminiHooks.Configuration;
using GeminiHooks.Verification;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NSec.Cryptography;

namespace GeminiHooks.Bench.Micro;

/// <summary>
/// One verification per operation, on a realistic ~200-byte envelope, with the keys already decoded (as the receiver
/// holds them between requests). The dynamic ones go through <see cref="DynamicWebhookVerifier"/> exactly as a request
/// does: JWKS lookup from the cache (served in memory, never over the network), then v1a or the full JWT checks.
/// </summary>
[MemoryDiagnoser]
public class VerifierBenchmarks
{
    const string Audience = "geminihooks-bench";
    const string WebhookId = "msg_2mR8QmU4kX0wq7bNf3";
    static readonly DateTimeOffset Now = new(2026, 11, 23, 3, 0, 0, TimeSpan.Zero);

    byte[] _body = [];
    string _timestamp = "";
    IReadOnlyList<byte[]> _hmacKeys = [];
    string _v1Header = "";
    IReadOnlyList<(string? Kid, PublicKey Key)> _edKeys = [];
    string _v1aHeader = "";
    string _jwt = "";
    DynamicWebhookVerifier _dynamic = null!;
    JwksCache _jwks = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _body = Encoding.UTF8.GetBytes(
            """{"type":"batch.succeeded","version":"v1","timestamp":"2026-11-23T03:00:00Z","data":{"id":"batches/abc123","output_file_uri":"gs://bucket/batches/abc123/output.jsonl"}}""");
        var timestamp = Now.ToUnixTimeSeconds();
        _timestamp = timestamp.ToString(CultureInfo.InvariantCulture);

        var secret = StandardWebhooks.DecodeSecret(StandardWebhooks.GenerateSecret());
        _hmacKeys = [secret];
        _v1Header = StandardWebhooks.SignV1(secret, WebhookId, timestamp, _body);

        var ed = Key.Create(SignatureAlgorithm.Ed25519);
        _edKeys = [("ed", ed.PublicKey)];
        _v1aHeader = StandardWebhooks.SignV1a(ed, WebhookId, timestamp, _body);

        using var rsa = RSA.Create(2048);
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        _jwt = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Audience = Audience,
            Issuer = "https://generativelanguage.googleapis.com",
            IssuedAt = Now.UtcDateTime,
            NotBefore = Now.UtcDateTime,
            Expires = Now.UtcDateTime.AddMinutes(5),
            // The token covers the body: a claim per top-level key (the receiver refuses a body key it does not carry).
            Claims = JsonDocument.Parse(_body).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value.Clone())
                .Append(new KeyValuePair<string, object>("jti", WebhookId)).ToDictionary(),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = "rsa" }, SecurityAlgorithms.RsaSha256),
        });

        var jwks = new JsonObject
        {
            ["keys"] = new JsonArray(
                new JsonObject { ["kty"] = "RSA", ["kid"] = "rsa", ["use"] = "sig", ["n"] = Base64Url.EncodeToString(parameters.Modulus), ["e"] = Base64Url.EncodeToString(parameters.Exponent) },
                new JsonObject { ["kty"] = "OKP", ["crv"] = "Ed25519", ["kid"] = "ed", ["x"] = Base64Url.EncodeToString(ed.PublicKey.Export(KeyBlobFormat.RawPublicKey)) }),
        }.ToJsonString();
        var options = new FixedOptions(new GeminiHooksOptions
        {
            Dynamic = new DynamicWebhookOptions { Enabled = true, JwksUri = "http://127.0.0.1/jwks.json", Audiences = [Audience] },
        });
        var time = new FixedTime(Now);
        _jwks = new JwksCache(new HttpClient(new InMemoryJwks(jwks)), options, time, NullLogger<JwksCache>.Instance);
        await _jwks.RefreshAsync(force: true, CancellationToken.None);
        _dynamic = new DynamicWebhookVerifier(_jwks, options, time);

        // Fail fast if a benchmark would measure a rejection instead of a verification.
        if (!StaticV1() || !V1a() || !await DynamicV1a() || !await DynamicJwt())
            throw new InvalidOperationException("a benchmark input does not verify");
    }

    [GlobalCleanup]
    public void Cleanup() => _jwks.Dispose();

    [Benchmark(Description = "static v1 HMAC-SHA256 (StandardWebhooks.VerifyV1)")]
    public bool StaticV1() => StandardWebhooks.VerifyV1(_hmacKeys, WebhookId, _timestamp, _body, _v1Header);

    [Benchmark(Description = "v1a Ed25519 (StandardWebhooks.VerifyV1a)")]
    public bool V1a() => StandardWebhooks.VerifyV1a(_edKeys, WebhookId, _timestamp, _body, _v1aHeader);

    [Benchmark(Description = "dynamic v1a (DynamicWebhookVerifier, JWKS cached)")]
    public async ValueTask<bool> DynamicV1a() =>
        (await _dynamic.VerifyAsync(new WebhookHeaders(WebhookId, _timestamp, Now.ToUnixTimeSeconds(), _v1aHeader), _body, CancellationToken.None))
        .Outcome == VerificationOutcome.Verified;

    [Benchmark(Description = "dynamic RS256 JWT (DynamicWebhookVerifier, JWKS cached)")]
    public async ValueTask<bool> DynamicJwt() =>
        (await _dynamic.VerifyAsync(new WebhookHeaders(WebhookId, _timestamp, Now.ToUnixTimeSeconds(), _jwt), _body, CancellationToken.None))
        .Outcome == VerificationOutcome.Verified;

    [Benchmark(Description = "envelope type read (EnvelopeReader.TryReadType)")]
    public bool EnvelopeType() => EnvelopeReader.TryReadType(_body, out _) == EnvelopeReader.Problem.None;

    sealed class FixedOptions(GeminiHooksOptions value) : IOptionsMonitor<GeminiHooksOptions>
    {
        public GeminiHooksOptions CurrentValue => value;
        public GeminiHooksOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<GeminiHooksOptions, string?> listener) => null;
    }

    sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    /// <summary>Answers the JWKS fetch from memory: the benchmark measures verification, not a socket.</summary>
    sealed class InMemoryJwks(string document) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(document, Encoding.UTF8, "application/json") });
    }
}
