using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Tests.Infrastructure;
using GeminiHooks.Verification;

namespace GeminiHooks.Cli.Tests;

/// <summary><c>send</c> against a real receiver, checked by independent verifiers (npm standardwebhooks, jose, node:crypto).</summary>
public sealed class SendTests : IDisposable
{
    readonly TempDirectory _temp = new();

    string _dir => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Static_deliveries_verify_with_npm_standardwebhooks_and_the_summary_counts_them()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var secret = (await CliRunner.RunAsync("keys", "secret")).Out.Trim();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);

        var run = await CliRunner.RunAsync("send", "--url", receiver.Url.ToString(), "--secret", secret, "--type", "batch.failed",
            "--count", "5", "--concurrency", "3", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var summary = JsonNode.Parse(run.Out)!;
        Assert.Equal(5, (int)summary["sent"]!);
        Assert.Equal(5, (int)summary["status_counts"]!["200"]!);
        Assert.True((double)summary["p99_ms"]! >= (double)summary["p50_ms"]!);
        Assert.Equal(5, receiver.Received.Select(d => d.Id).Distinct().Count());
        foreach (var delivery in receiver.Received)
        {
            Assert.StartsWith("msg_", delivery.Id, StringComparison.Ordinal);
            var verdict = await Node.SignerAsync("verify-static", new JsonObject
            {
                ["secret"] = secret,
                ["headers"] = Headers(delivery),
                ["body"] = delivery.Body,
            });
            Assert.True((bool)verdict["ok"]!, verdict.ToJsonString());
            var envelope = JsonNode.Parse(delivery.Body)!;
            Assert.Equal("batch.failed", (string?)envelope["type"]);
            Assert.Equal("v1", (string?)envelope["version"]);
            Assert.NotNull((string?)envelope["data"]!["error_message"]);
            Assert.True(DateTimeOffset.TryParse((string?)envelope["timestamp"], CultureInfo.InvariantCulture, out _));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Keys_are_written_private_and_never_over_an_existing_file()
    {
        Assert.Equal(0, (await CliRunner.RunAsync("keys", "generate", "--alg", "EdDSA", "--kid", "once", "--out", _dir)).ExitCode);
        var privatePath = Path.Combine(_dir, "once.private.jwk");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(privatePath));
        var first = await File.ReadAllTextAsync(privatePath);

        var again = await CliRunner.RunAsync("keys", "generate", "--alg", "EdDSA", "--kid", "once", "--out", _dir);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("never overwrites", again.Err, StringComparison.Ordinal);
        Assert.Equal(first, await File.ReadAllTextAsync(privatePath));
    }

    [Fact]
    public async Task Jwt_deliveries_verify_with_jose_against_the_jwks_served_by_keys_serve()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var generated = await CliRunner.RunAsync("keys", "generate", "--alg", "RS256", "--kid", "cli-rsa", "--out", _dir);
        Assert.True(generated.ExitCode == 0, generated.ToString());

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var serve = CliRunner.Start(stop.Token, "keys", "serve", "--port", "0", "--key", Path.Combine(_dir, "cli-rsa.public.jwk"));
        var line = await serve.Out.WaitForLineAsync("/.well-known/jwks.json", TimeSpan.FromSeconds(20));
        var jwksUrl = line.Split(' ').Single(w => w.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        using var http = new HttpClient();
        var jwks = JsonNode.Parse(await http.GetStringAsync(new Uri(jwksUrl)))!.AsObject();
        Assert.Null(jwks["keys"]![0]!["d"]);
        await stop.CancelAsync();
        Assert.Equal(0, await serve.Run);

        var run = await CliRunner.RunAsync("send", "--url", receiver.Url.ToString(), "--key", Path.Combine(_dir, "cli-rsa.private.jwk"),
            "--format", "jwt", "--audience", "https://receiver.example/dynamic", "--type", "video.generated");
        Assert.True(run.ExitCode == 0, run.ToString());

        var delivery = Assert.Single(receiver.Received);
        var verdict = await Node.SignerAsync("verify-jwt", new JsonObject
        {
            ["token"] = delivery.Signature,
            ["jwks"] = jwks,
            ["audience"] = "https://receiver.example/dynamic",
            ["issuer"] = "https://generativelanguage.googleapis.com",
        });
        Assert.True((bool)verdict["ok"]!, verdict.ToJsonString());
        var payload = verdict["payload"]!;
        var body = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("RS256", (string?)verdict["header"]!["alg"]);
        Assert.Equal("cli-rsa", (string?)verdict["header"]!["kid"]);
        Assert.Equal(delivery.Id, (string?)payload["jti"]);
        Assert.Equal("video.generated", (string?)payload["type"]);
        Assert.Equal((string?)body["type"], (string?)payload["type"]);
        Assert.True(JsonNode.DeepEquals(body["data"], payload["data"]), $"{body["data"]} != {payload["data"]}");
        Assert.Equal((long)payload["iat"]! + 300, (long)payload["exp"]!);
        // The token covers every byte of the body, as a receiver requires.
        Assert.Equal(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(delivery.Body)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_'), (string?)payload["body_sha256"]);
        Assert.Equal(long.Parse(delivery.Timestamp, CultureInfo.InvariantCulture), (long)payload["iat"]!);
    }

    [Fact]
    public async Task V1a_deliveries_verify_with_node_crypto()
    {
        await using var receiver = await TestReceiver.StartAsync();
        Assert.Equal(0, (await CliRunner.RunAsync("keys", "generate", "--alg", "EdDSA", "--kid", "cli-ed", "--out", _dir)).ExitCode);

        // No --format: an Ed25519 key means v1a.
        var run = await CliRunner.RunAsync("send", "--url", receiver.Url.ToString(), "--key", Path.Combine(_dir, "cli-ed.private.jwk"), "--count", "2");
        Assert.True(run.ExitCode == 0, run.ToString());

        var publicJwk = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "cli-ed.public.jwk")))!.AsObject();
        Assert.Null(publicJwk["d"]);
        Assert.Equal(2, receiver.Received.Count);
        foreach (var delivery in receiver.Received)
        {
            Assert.StartsWith("v1a,", delivery.Signature, StringComparison.Ordinal);
            var verdict = await Node.SignerAsync("verify-v1a", new JsonObject
            {
                ["publicJwk"] = publicJwk.DeepClone(),
                ["id"] = delivery.Id,
                ["timestamp"] = delivery.Timestamp,
                ["body"] = delivery.Body,
                ["signature"] = delivery.Signature,
            });
            Assert.True((bool)verdict["ok"]!, verdict.ToJsonString());
        }
    }

    [Fact]
    public async Task Duplicate_resends_each_delivery_with_the_same_webhook_id()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var secret = StandardWebhooks.GenerateSecret();

        var run = await CliRunner.RunAsync("send", "--url", receiver.Url.ToString(), "--secret", secret, "--count", "2", "--duplicate", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(4, (int)JsonNode.Parse(run.Out)!["sent"]!);
        var groups = receiver.Received.GroupBy(d => d.Id).ToList();
        Assert.Equal(2, groups.Count);
        foreach (var pair in groups)
        {
            Assert.Equal(2, pair.Count());
            Assert.Single(pair.Select(d => (d.Timestamp, d.Signature, d.Body)).Distinct());
        }
    }

    [Fact]
    public async Task Timestamp_skew_signs_with_a_shifted_timestamp()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var secret = StandardWebhooks.GenerateSecret();
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var run = await CliRunner.RunAsync("send", "--url", receiver.Url.ToString(), "--secret", secret, "--timestamp-skew", "-600");

        Assert.True(run.ExitCode == 0, run.ToString());
        var delivery = Assert.Single(receiver.Received);
        var timestamp = long.Parse(delivery.Timestamp, CultureInfo.InvariantCulture);
        Assert.InRange(timestamp, before - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600);
        // The signature is valid for the shifted timestamp, so only the tolerance check rejects it.
        Assert.True(StandardWebhooks.VerifyV1([StandardWebhooks.DecodeSecret(secret)], delivery.Id, delivery.Timestamp,
            Encoding.UTF8.GetBytes(delivery.Body), delivery.Signature));
        var verdict = await Node.SignerAsync("verify-static", new JsonObject
        {
            ["secret"] = secret,
            ["headers"] = Headers(delivery),
            ["body"] = delivery.Body,
        });
        Assert.False((bool)verdict["ok"]!);
        Assert.Contains("timestamp", (string?)verdict["error"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Custom_body_is_sent_verbatim_and_failures_set_the_exit_code()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = _ => 500;
        var secret = StandardWebhooks.GenerateSecret();
        const string body = """{"type":"future.event","version":"v1","data":{"x":1}}""";

        var run = await CliRunner.RunAsync("send", "--url", receiver.Url.ToString(), "--secret", secret, "--body", body);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("500 x1", run.Out, StringComparison.Ordinal);
        Assert.Equal(body, Assert.Single(receiver.Received).Body);
    }

    [Fact]
    public async Task Help_reads_well_and_usage_errors_say_what_to_do()
    {
        var help = await CliRunner.RunAsync("--help");
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "send", "keys", "webhooks", "emulate" })
            Assert.Contains(command, help.Out, StringComparison.Ordinal);

        var noSigner = await CliRunner.RunAsync("send", "--url", "http://127.0.0.1:9/hook");
        Assert.Equal(1, noSigner.ExitCode);
        Assert.Contains("--secret", noSigner.Err, StringComparison.Ordinal);
        Assert.Contains("--key", noSigner.Err, StringComparison.Ordinal);

        var badUrl = await CliRunner.RunAsync("send", "--url", "not-a-url", "--secret", StandardWebhooks.GenerateSecret());
        Assert.NotEqual(0, badUrl.ExitCode);
        Assert.Contains("absolute http(s) URL", badUrl.Err, StringComparison.Ordinal);

        var noKey = await CliRunner.RunAsync("webhooks", "list", "--base-url", "http://127.0.0.1:9");
        if (Environment.GetEnvironmentVariable("GEMINI_API_KEY") is null)
        {
            Assert.Equal(1, noKey.ExitCode);
            Assert.Contains("GEMINI_API_KEY", noKey.Err, StringComparison.Ordinal);
        }
    }

    static JsonObject Headers(ReceivedDelivery delivery) => new()
    {
        ["webhook-id"] = delivery.Id,
        ["webhook-timestamp"] = delivery.Timestamp,
        ["webhook-signature"] = delivery.Signature,
    };
}
