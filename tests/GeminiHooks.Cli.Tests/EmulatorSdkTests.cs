using System.Text.Json.Nodes;
using GeminiHooks.Cli.Tests.Infrastructure;

namespace GeminiHooks.Cli.Tests;

/// <summary>The official JS SDK (@google/genai) manages webhooks on the emulator, which then delivers to a verifying receiver.</summary>
public sealed class EmulatorSdkTests
{
    [Fact]
    public async Task Sdk_manages_webhooks_and_deliveries_verify_before_and_after_a_24h_rotation()
    {
        await using var emulator = await TestEmulator.StartAsync();
        await using var receiver = await TestReceiver.StartAsync();
        JsonObject Request(JsonObject fields)
        {
            fields["baseUrl"] = emulator.Root();
            fields["apiKey"] = "test-api-key";
            return fields;
        }

        // create: the secret is in the answer once.
        var created = await Node.SdkAsync("create", Request(new JsonObject
        {
            ["uri"] = receiver.Url.ToString(),
            ["subscribed_events"] = new JsonArray("batch.succeeded", "batch.failed"),
            ["name"] = "sdk-hook",
        }));
        var id = (string)created["id"]!;
        var firstSecret = (string)created["new_signing_secret"]!;
        Assert.StartsWith("whsec_", firstSecret, StringComparison.Ordinal);
        Assert.Equal("enabled", (string?)created["state"]);
        var other = await Node.SdkAsync("create", Request(new JsonObject
        {
            ["uri"] = "http://127.0.0.1:9/elsewhere",
            ["subscribed_events"] = new JsonArray("video.generated"),
        }));

        // list with pagination, get.
        var listed = await Node.SdkAsync("list-all", Request(new JsonObject { ["page_size"] = 1 }));
        Assert.Equal(2, (int)listed["pages"]!);
        Assert.Equal([id, (string)other["id"]!], listed["webhooks"]!.AsArray().Select(w => (string)w!["id"]!));
        var got = await Node.SdkAsync("get", Request(new JsonObject { ["id"] = id }));
        Assert.Equal("sdk-hook", (string?)got["name"]);
        Assert.Null(got["new_signing_secret"]);
        Assert.Single(got["signing_secrets"]!.AsArray());

        // update with an update_mask: only the named field changes.
        var updated = await Node.SdkAsync("update", Request(new JsonObject
        {
            ["id"] = id,
            ["changes"] = new JsonObject { ["name"] = "renamed", ["uri"] = "http://ignored.example/" },
            ["update_mask"] = "name",
        }));
        Assert.Equal("renamed", (string?)updated["name"]);
        Assert.Equal(receiver.Url.ToString(), (string?)updated["uri"]);

        // ping: a test event reaches the receiver, which knows the first secret.
        receiver.Secrets = [firstSecret];
        await Node.SdkAsync("ping", Request(new JsonObject { ["id"] = id }));
        await receiver.WaitForAsync(1, "the ping");
        Assert.Equal(200, receiver.Received[0].AnsweredStatus);

        // trigger batch.succeeded through the CLI: delivered to the subscribed webhook only.
        var fired = await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "batch.succeeded", "--wait", "--json");
        Assert.True(fired.ExitCode == 0, fired.ToString());
        var delivery = Assert.Single(JsonNode.Parse(fired.Out)!["deliveries"]!.AsArray())!;
        Assert.Equal("delivered", (string?)delivery["state"]);
        Assert.Equal(2, receiver.Received.Count);
        Assert.Equal(200, receiver.Received[1].AnsweredStatus);
        Assert.Equal("batch.succeeded", (string?)JsonNode.Parse(receiver.Received[1].Body)!["type"]);

        // rotate with the 24-hour overlap: deliveries carry both secrets, so a receiver that knows only the new one accepts.
        var rotated = await Node.SdkAsync("rotate", Request(new JsonObject { ["id"] = id, ["revocation_behavior"] = "revoke_previous_secrets_after_h24" }));
        var newSecret = (string)rotated["secret"]!;
        Assert.NotEqual(firstSecret, newSecret);
        var afterRotation = await Node.SdkAsync("get", Request(new JsonObject { ["id"] = id }));
        var secrets = afterRotation["signing_secrets"]!.AsArray();
        Assert.Equal(2, secrets.Count);
        Assert.Single(secrets, s => s!["expire_time"] is not null);

        receiver.Secrets = [newSecret];
        fired = await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "batch.succeeded", "--wait");
        Assert.True(fired.ExitCode == 0, fired.ToString());
        var rotatedDelivery = receiver.Received[^1];
        Assert.Equal(200, rotatedDelivery.AnsweredStatus);
        Assert.Equal(2, rotatedDelivery.Signature.Split(' ').Count(e => e.StartsWith("v1,", StringComparison.Ordinal)));
        // The independent verifier agrees for both secrets during the overlap.
        foreach (var secret in new[] { firstSecret, newSecret })
        {
            var verdict = await Node.SignerAsync("verify-static", new JsonObject
            {
                ["secret"] = secret,
                ["headers"] = new JsonObject
                {
                    ["webhook-id"] = rotatedDelivery.Id,
                    ["webhook-timestamp"] = rotatedDelivery.Timestamp,
                    ["webhook-signature"] = rotatedDelivery.Signature,
                },
                ["body"] = rotatedDelivery.Body,
            });
            Assert.True((bool)verdict["ok"]!, verdict.ToJsonString());
        }

        // rotate immediately: only the newest secret is left.
        await Node.SdkAsync("rotate", Request(new JsonObject { ["id"] = id, ["revocation_behavior"] = "revoke_previous_secrets_immediately" }));
        Assert.Single((await Node.SdkAsync("get", Request(new JsonObject { ["id"] = id })))["signing_secrets"]!.AsArray());

        // delete: gone for get and list.
        await Node.SdkAsync("delete", Request(new JsonObject { ["id"] = id }));
        var missing = await Node.SdkAsync("get", Request(new JsonObject { ["id"] = id }));
        Assert.Equal(404, (int)missing["error"]!["status"]!);
        var remaining = await Node.SdkAsync("list", Request(new JsonObject()));
        Assert.Equal((string)other["id"]!, (string?)Assert.Single(remaining["webhooks"]!.AsArray())!["id"]);
    }

    [Fact]
    public async Task Management_api_requires_an_api_key()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var answer = await Node.SdkAsync("list", new JsonObject { ["baseUrl"] = emulator.Root(), ["apiKey"] = "" });
        Assert.Equal(401, (int)answer["error"]!["status"]!);
    }
}
