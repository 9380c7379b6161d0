using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Tests.Infrastructure;
using GeminiHooks.Verification;

namespace GeminiHooks.Cli.Tests;

/// <summary>The emulator's deliveries: retries with the same webhook-id, disabling after persistent failure, dynamic signing.</summary>
public sealed class EmulatorDeliveryTests : IDisposable
{
    readonly TempDirectory _temp = new();

    string _dir => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_receiver_that_fails_twice_gets_the_third_attempt_with_the_same_webhook_id()
    {
        await using var emulator = await TestEmulator.StartAsync(maxAttempts: 5);
        await using var receiver = await TestReceiver.StartAsync();
        var secretFile = Path.Combine(_dir, "secret.txt");
        var id = await RegisterAsync(emulator.Root(), receiver.Url, secretFile);
        var secret = await File.ReadAllTextAsync(secretFile);
        receiver.Secrets = [secret];
        receiver.Respond = n => n < 2 ? 503 : 200;

        var fired = await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "batch.succeeded", "--wait", "--json");

        Assert.True(fired.ExitCode == 0, fired.ToString());
        var delivery = Assert.Single(JsonNode.Parse(fired.Out)!["deliveries"]!.AsArray())!;
        Assert.Equal("delivered", (string?)delivery["state"]);
        Assert.Equal([503, 503, 200], delivery["attempts"]!.AsArray().Select(a => (int)a!["status"]!));
        var attempts = receiver.Received;
        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(a => a.Id).Distinct());
        Assert.Equal((string?)delivery["id"], attempts[0].Id);
        Assert.Single(attempts.Select(a => a.Body).Distinct());
        // Every attempt is signed (and re-signed) validly.
        Assert.All(attempts, a => Assert.True(StandardWebhooks.VerifyV1([StandardWebhooks.DecodeSecret(secret)], a.Id, a.Timestamp, Encoding.UTF8.GetBytes(a.Body), a.Signature)));
        Assert.Equal("enabled", (string?)(await GetAsync(emulator.Root(), id))["state"]);
    }

    [Fact]
    public async Task A_receiver_that_does_not_answer_in_time_is_retried()
    {
        await using var emulator = await TestEmulator.StartAsync(maxAttempts: 3, deliveryTimeout: TimeSpan.FromMilliseconds(500));
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Delay = n => n == 0 ? TimeSpan.FromSeconds(3) : TimeSpan.Zero;
        await RegisterAsync(emulator.Root(), receiver.Url, Path.Combine(_dir, "secret.txt"));

        var fired = await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "batch.succeeded", "--wait", "--json");

        Assert.True(fired.ExitCode == 0, fired.ToString());
        var attempts = Assert.Single(JsonNode.Parse(fired.Out)!["deliveries"]!.AsArray())!["attempts"]!.AsArray();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("timeout", (string?)attempts[0]!["error"]);
        Assert.Equal(200, (int)attempts[1]!["status"]!);
        Assert.Single(receiver.Received.Select(a => a.Id).Distinct());
    }

    [Fact]
    public async Task Persistent_failure_marks_the_webhook_disabled_due_to_failed_deliveries()
    {
        await using var emulator = await TestEmulator.StartAsync(maxAttempts: 3);
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = _ => 500;
        var id = await RegisterAsync(emulator.Root(), receiver.Url, Path.Combine(_dir, "secret.txt"));

        var fired = await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "batch.succeeded", "--wait");

        Assert.Equal(1, fired.ExitCode);
        Assert.Contains("failed (3 attempt(s))", fired.Out, StringComparison.Ordinal);
        Assert.Equal(3, receiver.Received.Count);
        Assert.Single(receiver.Received.Select(a => a.Id).Distinct());
        Assert.Equal("disabled_due_to_failed_deliveries", (string?)(await GetAsync(emulator.Root(), id))["state"]);

        // A disabled webhook gets nothing until it is enabled again.
        var none = await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "batch.succeeded");
        Assert.Contains("no deliveries", none.Out, StringComparison.Ordinal);
        var enabled = await CliRunner.RunAsync("webhooks", "update", id, "--state", "enabled", "--base-url", emulator.Root(), "--api-key", "k");
        Assert.True(enabled.ExitCode == 0, enabled.ToString());
        Assert.Contains("state:   enabled", enabled.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jwt")]
    [InlineData("v1a")]
    public async Task Ad_hoc_dynamic_deliveries_verify_against_the_emulator_jwks(string format)
    {
        await using var emulator = await TestEmulator.StartAsync();
        await using var receiver = await TestReceiver.StartAsync();

        var fired = await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "interaction.completed",
            "--uri", receiver.Url.ToString(), "--format", format, "--audience", "my-audience", "--user-metadata", """{"job":"42"}""", "--wait");

        Assert.True(fired.ExitCode == 0, fired.ToString());
        var delivery = Assert.Single(receiver.Received);
        var body = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("42", (string?)body["user_metadata"]!["job"]);
        using var http = new HttpClient();
        var jwks = JsonNode.Parse(await http.GetStringAsync(new Uri(emulator.Address, "/.well-known/jwks.json")))!.AsObject();
        JsonObject verdict;
        if (format == "jwt")
        {
            verdict = await Node.SignerAsync("verify-jwt", new JsonObject
            {
                ["token"] = delivery.Signature,
                ["jwks"] = jwks,
                ["audience"] = "my-audience",
                ["issuer"] = "https://generativelanguage.googleapis.com",
            });
            Assert.Equal(delivery.Id, (string?)verdict["payload"]?["jti"]);
        }
        else
        {
            var ed25519 = jwks["keys"]!.AsArray().Single(k => (string?)k!["kty"] == "OKP")!;
            verdict = await Node.SignerAsync("verify-v1a", new JsonObject
            {
                ["publicJwk"] = ed25519.DeepClone(),
                ["id"] = delivery.Id,
                ["timestamp"] = delivery.Timestamp,
                ["body"] = delivery.Body,
                ["signature"] = delivery.Signature,
            });
        }
        Assert.True((bool)verdict["ok"]!, verdict.ToJsonString());
    }

    [Fact]
    public async Task Cli_webhooks_commands_round_trip_against_the_emulator()
    {
        await using var emulator = await TestEmulator.StartAsync();
        await using var receiver = await TestReceiver.StartAsync();
        string[] Api(params string[] args) => [.. args, "--base-url", emulator.Root(), "--api-key", "k"];

        var created = await CliRunner.RunAsync(Api("webhooks", "create", "--uri", receiver.Url.ToString(), "--event", "batch.succeeded", "--name", "cli"));
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("signing secret (shown once", created.Out, StringComparison.Ordinal);
        var id = created.Out.Split('\n')[0].Split(':', 2)[1].Trim();

        var list = await CliRunner.RunAsync(Api("webhooks", "list"));
        Assert.Contains(id, list.Out, StringComparison.Ordinal);
        Assert.StartsWith("ID", list.Out, StringComparison.Ordinal);

        var updated = await CliRunner.RunAsync(Api("webhooks", "update", id, "--event", "batch.failed,video.generated"));
        Assert.Contains("events:  batch.failed, video.generated", updated.Out, StringComparison.Ordinal);

        Assert.Equal(0, (await CliRunner.RunAsync(Api("webhooks", "ping", id))).ExitCode);
        await receiver.WaitForAsync(1, "the ping");
        Assert.Equal("webhook.ping", (string?)JsonNode.Parse(receiver.Received[0].Body)!["type"]);

        var secretFile = Path.Combine(_dir, "rotated.txt");
        var rotated = await CliRunner.RunAsync(Api("webhooks", "rotate", id, "--revocation", "immediately", "--secret-out", secretFile));
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        Assert.DoesNotContain("whsec_", rotated.Out, StringComparison.Ordinal);
        Assert.StartsWith("whsec_", await File.ReadAllTextAsync(secretFile), StringComparison.Ordinal);

        Assert.Equal(0, (await CliRunner.RunAsync(Api("webhooks", "delete", id))).ExitCode);
        var missing = await CliRunner.RunAsync(Api("webhooks", "get", id));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("404", missing.Err, StringComparison.Ordinal);
        Assert.Contains("webhooks list", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Emulate_command_serves_until_cancelled()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = CliRunner.Start(stop.Token, "emulate", "--port", "0");
        var line = await run.Out.WaitForLineAsync("listening on", TimeSpan.FromSeconds(20));
        var root = new Uri(line[(line.IndexOf("http", StringComparison.Ordinal))..]);
        using var http = new HttpClient();
        var jwks = JsonNode.Parse(await http.GetStringAsync(new Uri(root, "/.well-known/jwks.json")))!;
        Assert.Equal(["RSA", "OKP"], jwks["keys"]!.AsArray().Select(k => (string?)k!["kty"]));
        Assert.All(jwks["keys"]!.AsArray(), k => Assert.Null(k!["d"]));
        await stop.CancelAsync();
        Assert.Equal(0, await run.Run);
    }

    static async Task<string> RegisterAsync(string emulator, Uri receiver, string secretFile)
    {
        var created = await CliRunner.RunAsync("webhooks", "create", "--uri", receiver.ToString(), "--event", "batch.succeeded",
            "--secret-out", secretFile, "--json", "--base-url", emulator, "--api-key", "k");
        Assert.True(created.ExitCode == 0, created.ToString());
        var resource = JsonNode.Parse(created.Out)!;
        Assert.Null(resource["new_signing_secret"]);
        return (string)resource["id"]!;
    }

    static async Task<JsonNode> GetAsync(string emulator, string id)
    {
        var got = await CliRunner.RunAsync("webhooks", "get", id, "--json", "--base-url", emulator, "--api-key", "k");
        Assert.True(got.ExitCode == 0, got.ToString());
        return JsonNode.Parse(got.Out)!;
    }
}
