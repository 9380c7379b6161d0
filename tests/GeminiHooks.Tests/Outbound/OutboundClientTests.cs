using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Gemini;
using GeminiHooks.Handlers.BuiltIn;
using GeminiHooks.Hosting;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;

namespace GeminiHooks.Tests.Outbound;

/// <summary>
/// The outbound clients as the library registers them, against real loopback servers: a 302 to another host is an
/// answer, never followed (the API key or payload would go with it), and the JWKS is bounded in size and keys.
/// </summary>
public sealed class OutboundClientTests : IAsyncLifetime
{
    LoopbackServer _target = null!;
    LoopbackServer _redirector = null!;
    readonly List<string> _targetSaw = [];

    public async Task InitializeAsync()
    {
        _target = await LoopbackServer.StartAsync(app => app.Map("/{**path}", (HttpContext context) =>
        {
            lock (_targetSaw)
                _targetSaw.Add(context.Request.Path + " key=" + context.Request.Headers["x-goog-api-key"]);
            return Results.Text(JwksOf(Key.Create(SignatureAlgorithm.Ed25519)), "application/json");
        }));
        // "localhost" rather than 127.0.0.1: another host name, as an attacker's redirect would be.
        var elsewhere = _target.Address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        _redirector = await LoopbackServer.StartAsync(app => app.Map("/{**path}", (HttpContext context) =>
            Results.Redirect(elsewhere + context.Request.Path)));
    }

    public async Task DisposeAsync()
    {
        await _redirector.DisposeAsync();
        await _target.DisposeAsync();
    }

    [Fact]
    public async Task The_jwks_client_does_not_follow_a_redirect()
    {
        await using var services = Services(new() { ["GeminiHooks:Dynamic:JwksUri"] = _redirector.Url("/.well-known/jwks.json") });
        var cache = services.GetRequiredService<JwksCache>();
        Assert.False(await cache.RefreshAsync(force: true, CancellationToken.None));
        Assert.Null(cache.Keys);
        Assert.Empty(_targetSaw);
    }

    [Fact]
    public async Task The_gemini_api_client_does_not_carry_its_key_across_a_redirect()
    {
        await using var services = Services(new()
        {
            ["GeminiHooks:Gemini:BaseUrl"] = _redirector.Address,
            ["GeminiHooks:Gemini:ApiKey"] = "AIza-outbound-test-key",
            ["GeminiHooks:Gemini:MaxRetries"] = "0",
        });
        var answer = await services.GetRequiredService<GeminiApiClient>().GetAsync("batches/123", CancellationToken.None);
        Assert.Equal(302, answer.Status);
        Assert.Empty(_targetSaw);
    }

    [Fact]
    public async Task The_http_and_slack_handler_client_does_not_follow_a_redirect()
    {
        await using var services = Services(new());
        using var request = new HttpRequestMessage(HttpMethod.Post, _redirector.Url("/hook")) { Content = new StringContent("{}") };
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => HandlerHttp.SendAsync(
            services.GetRequiredService<IHttpClientFactory>(), request, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(System.Net.HttpStatusCode.Redirect, failure.StatusCode);
        Assert.Empty(_targetSaw);
    }

    [Fact]
    public async Task A_jwks_body_over_one_mebibyte_or_with_too_many_keys_keeps_the_last_good_set()
    {
        using var good = Key.Create(SignatureAlgorithm.Ed25519);
        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        var body = JwksOf(good);
        await using var jwks = await LoopbackServer.StartAsync(app => app.MapGet("/jwks", () => Results.Text(Volatile.Read(ref body), "application/json")));
        await using var services = Services(new() { ["GeminiHooks:Dynamic:JwksUri"] = jwks.Url("/jwks") });
        var cache = services.GetRequiredService<JwksCache>();
        Assert.True(await cache.RefreshAsync(force: true, CancellationToken.None));
        var goodKey = Assert.Single(cache.Keys!.Ed25519).Key;

        // A valid set with another key, padded past 1 MiB: refused, the good set stays.
        var padded = JsonNode.Parse(JwksOf(other))!.AsObject();
        padded["padding"] = new string(' ', JwksCache.MaxBodyBytes);
        Volatile.Write(ref body, padded.ToJsonString());
        Assert.False(await cache.RefreshAsync(force: true, CancellationToken.None));
        Assert.Same(goodKey, Assert.Single(cache.Keys!.Ed25519).Key);

        // 33 keys: refused whole.
        var many = Enumerable.Range(0, SigningKeySet.MaxKeys + 1).Select(_ => Key.Create(SignatureAlgorithm.Ed25519)).ToArray();
        Volatile.Write(ref body, JwksOf(many));
        Assert.False(await cache.RefreshAsync(force: true, CancellationToken.None));
        Assert.Same(goodKey, Assert.Single(cache.Keys!.Ed25519).Key);
        foreach (var key in many)
            key.Dispose();
    }

    [Theory]
    [InlineData(1024, false)]
    [InlineData(2048, true)]
    [InlineData(4096, true)]
    [InlineData(4104, false)]
    [InlineData(8192, false)]
    public void Rsa_keys_outside_2048_to_4096_bits_are_ignored_with_a_reason(int bits, bool kept)
    {
        using var ed25519 = Key.Create(SignatureAlgorithm.Ed25519);
        var modulus = new byte[bits / 8 + 1]; // a leading zero byte, as some encoders write it
        Random.Shared.NextBytes(modulus.AsSpan(1));
        modulus[1] |= 0x80;
        var set = JsonNode.Parse(JwksOf(ed25519))!.AsObject();
        set["keys"]!.AsArray().Add(new JsonObject
        {
            ["kty"] = "RSA", ["kid"] = "rsa-" + bits, ["use"] = "sig",
            ["n"] = Base64Url.EncodeToString(modulus), ["e"] = "AQAB",
        });
        var parsed = SigningKeySet.Parse(Encoding.UTF8.GetBytes(set.ToJsonString()));
        Assert.Equal(kept ? 1 : 0, parsed.Rsa.Count);
        if (kept)
            Assert.Empty(parsed.Skipped);
        else
            Assert.Contains($"'rsa-{bits}' has {bits} bits", Assert.Single(parsed.Skipped), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fetched_set_with_an_oversized_rsa_key_serves_its_other_keys_and_logs_the_one_it_ignored()
    {
        using var ed25519 = Key.Create(SignatureAlgorithm.Ed25519);
        var modulus = new byte[1024];
        Random.Shared.NextBytes(modulus);
        modulus[0] |= 0x80;
        var set = JsonNode.Parse(JwksOf(ed25519))!.AsObject();
        set["keys"]!.AsArray().Add(new JsonObject { ["kty"] = "RSA", ["kid"] = "huge", ["n"] = Base64Url.EncodeToString(modulus), ["e"] = "AQAB" });
        var body = set.ToJsonString();
        await using var jwks = await LoopbackServer.StartAsync(app => app.MapGet("/jwks", () => Results.Text(body, "application/json")));
        var logs = new CapturedLogs();
        await using var services = Services(new() { ["GeminiHooks:Dynamic:JwksUri"] = jwks.Url("/jwks") }, logs);
        var cache = services.GetRequiredService<JwksCache>();

        Assert.True(await cache.RefreshAsync(force: true, CancellationToken.None));
        Assert.Single(cache.Keys!.Ed25519);
        Assert.Empty(cache.Keys.Rsa);
        Assert.Contains(logs.Lines, l => l.Contains("a key was ignored: RSA key 'huge' has 8192 bits", StringComparison.Ordinal));
    }

    static ServiceProvider Services(Dictionary<string, string?> settings, CapturedLogs? logs = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["GeminiHooks:Static:Enabled"] = "false" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (logs is not null)
            builder.Logging.AddProvider(logs);
        builder.Services.AddGeminiHooks(builder.Configuration);
        return builder.Services.BuildServiceProvider();
    }

    static string JwksOf(params Key[] keys) => new JsonObject
    {
        ["keys"] = new JsonArray(keys.Select((k, i) => (JsonNode)new JsonObject
        {
            ["kty"] = "OKP", ["crv"] = "Ed25519", ["kid"] = "key-" + i, ["use"] = "sig",
            ["x"] = Base64Url.EncodeToString(k.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
        }).ToArray()),
    }.ToJsonString();
}
