using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Events;
using GeminiHooks.Handlers.BuiltIn;
using GeminiHooks.Storage;
using GeminiHooks.Verification;

namespace GeminiHooks.Tests.Handlers;

public class BuiltInHandlerTests
{
    [Fact]
    public async Task Http_forwards_re_signed_deliveries_that_npm_standardwebhooks_verifies_and_slack_gets_a_one_liner()
    {
        using var dir = new TempDirectory();
        await using var downstream = await LoopbackReceiver.StartAsync();
        downstream.FailNext = 1; // the first forward meets a 503 and is retried
        downstream.FailPath = "/hook";
        var secret = StandardWebhooks.GenerateSecret();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dispatch:RetryBaseDelay"] = "00:00:10",
            ["GeminiHooks:Handlers:forward:Type"] = "http",
            ["GeminiHooks:Handlers:forward:Url"] = downstream.Url("/hook"),
            ["GeminiHooks:Handlers:forward:Secret"] = secret,
            ["GeminiHooks:Handlers:forward:Events:0"] = "batch.*",
            ["GeminiHooks:Handlers:chat:Type"] = "slack",
            ["GeminiHooks:Handlers:chat:Url"] = downstream.Url("/services/T000/B000/XXXX"),
            ["GeminiHooks:Handlers:chat:Events:0"] = "batch.succeeded",
            ["GeminiHooks:Handlers:chat:Events:1"] = "video.generated",
        });
        Assert.Equal(["chat", "forward"], host.HandlersFor("batch.succeeded"));
        Assert.Equal(["forward"], host.HandlersFor("batch.failed"));
        Assert.Empty(host.HandlersFor("interaction.completed"));

        var body = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "batch.succeeded.json"));
        var id = await host.AcceptAsync("batch.succeeded", body);

        await Eventually.UntilAsync(async () => (await host.RunAsync(id, "forward")) is { Status: RunStatus.Pending, Attempts: 1 },
            "the 503 is recorded as a failure");
        Assert.Contains("503", (await host.RunAsync(id, "forward"))!.LastError, StringComparison.Ordinal);
        await Eventually.AdvanceUntilAsync(host.FakeTime, TimeSpan.FromSeconds(2),
            async () => (await host.RunAsync(id, "forward"))?.Status == RunStatus.Succeeded, "the retry is delivered");

        var forwards = downstream.Requests.Where(r => r.Path == "/hook").ToList();
        Assert.Equal(2, forwards.Count);
        var delivered = forwards[^1];
        Assert.Equal(id, delivered.Headers["webhook-id"]);
        Assert.Equal(body, delivered.Body);
        Assert.StartsWith("application/json", delivered.Headers["content-type"], StringComparison.Ordinal);
        var verified = await VerifyWithNodeAsync(secret, delivered);
        Assert.True(verified["ok"]!.GetValue<bool>(), verified.ToJsonString());

        // A signature by another secret must not verify: the check above is not vacuous.
        var rejected = await VerifyWithNodeAsync(StandardWebhooks.GenerateSecret(), delivered);
        Assert.False(rejected["ok"]!.GetValue<bool>());

        await Eventually.UntilAsync(async () => (await host.RunAsync(id, "chat"))?.Status == RunStatus.Succeeded, "slack is posted");
        var slack = Assert.Single(downstream.Requests, r => r.Path == "/services/T000/B000/XXXX");
        using var message = JsonDocument.Parse(slack.Body);
        Assert.Equal($"Batch batches/abc123 succeeded: output files/batch-abc123-output.jsonl [{id}]",
            message.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Http_with_Format_cloudevents_posts_a_signed_CloudEvent_that_the_CNCF_SDK_reads_back()
    {
        using var dir = new TempDirectory();
        await using var downstream = await LoopbackReceiver.StartAsync();
        var secret = StandardWebhooks.GenerateSecret();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Handlers:forward:Type"] = "http",
            ["GeminiHooks:Handlers:forward:Url"] = downstream.Url("/hook"),
            ["GeminiHooks:Handlers:forward:Secret"] = secret,
            ["GeminiHooks:Handlers:forward:Format"] = "cloudevents",
            ["GeminiHooks:Handlers:forward:Source"] = "https://hooks.example.com/gemini",
        });
        var id = await host.AcceptAsync("batch.succeeded",
            """{"type":"batch.succeeded","timestamp":"2026-11-20T10:15:00Z","data":{"id":"batches/abc123","user_metadata":{"job":"nightly"}}}""");
        await Eventually.UntilAsync(async () => (await host.RunAsync(id, "forward"))?.Status == RunStatus.Succeeded, "the CloudEvent is posted");

        var delivered = Assert.Single(downstream.Requests);
        Assert.StartsWith("application/cloudevents+json", delivered.Headers["content-type"], StringComparison.Ordinal);
        var parsed = await Node.SignerAsync("parse-cloudevent", new JsonObject
        {
            ["headers"] = new JsonObject { ["content-type"] = delivered.Headers["content-type"] },
            ["body"] = delivered.Body,
        });
        Assert.Equal("1.0", parsed["specversion"]!.GetValue<string>());
        Assert.Equal(id, parsed["id"]!.GetValue<string>());
        Assert.Equal("batch.succeeded", parsed["type"]!.GetValue<string>());
        Assert.Equal("https://hooks.example.com/gemini", parsed["source"]!.GetValue<string>());
        Assert.Equal(DateTimeOffset.Parse("2026-11-20T10:15:00Z", System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(parsed["time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("batches/abc123", parsed["data"]!["id"]!.GetValue<string>());
        Assert.Equal("nightly", JsonNode.Parse(parsed["usermetadata"]!.GetValue<string>())!["job"]!.GetValue<string>());

        // The CloudEvent, not the original body, is what is signed.
        var verified = await VerifyWithNodeAsync(secret, delivered);
        Assert.True(verified["ok"]!.GetValue<bool>(), verified.ToJsonString());
    }

    static Task<JsonObject> VerifyWithNodeAsync(string secret, LoopbackReceiver.Received delivered) =>
        Node.SignerAsync("verify-static", new JsonObject
        {
            ["secret"] = secret,
            ["headers"] = new JsonObject
            {
                ["webhook-id"] = delivered.Headers["webhook-id"],
                ["webhook-timestamp"] = delivered.Headers["webhook-timestamp"],
                ["webhook-signature"] = delivered.Headers["webhook-signature"],
            },
            ["body"] = delivered.Body,
        });

    [Fact]
    public async Task Slack_failure_status_fails_the_run_without_naming_the_url()
    {
        using var dir = new TempDirectory();
        await using var downstream = await LoopbackReceiver.StartAsync();
        downstream.FailNext = 100;
        downstream.FailStatus = 404;
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Handlers:chat:Type"] = "slack",
            ["GeminiHooks:Handlers:chat:Url"] = downstream.Url("/services/SECRET-TOKEN"),
        });
        var id = await host.AcceptAsync("interaction.failed");
        await Eventually.UntilAsync(async () => (await host.RunAsync(id, "chat")) is { Status: RunStatus.Pending, Attempts: 1 }, "failure recorded");
        var error = (await host.RunAsync(id, "chat"))!.LastError!;
        Assert.Contains("404", error, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-TOKEN", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jsonl_holds_each_event_once_after_a_replay_and_after_a_lease_expiry_re_run()
    {
        using var dir = new TempDirectory();
        var path = dir.File("out/events.jsonl");
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var store = await TestHost.OpenStoreAsync(dir.File("events.db"), time);

        // A previous process claimed an event, wrote its line, and died before recording success.
        var now = time.GetUtcNow();
        await store.AcceptAsync(new IncomingDelivery(TestHost.Endpoint, "msg_crashed", now.ToUnixTimeSeconds(), now, "batch.expired",
            """{"type":"batch.expired","data":{"id":"batches/x"}}"""u8.ToArray(), ["archive"]), CancellationToken.None);
        var abandoned = Assert.Single(await store.ClaimAsync("crashed-process", 10, TimeSpan.FromMinutes(5), CancellationToken.None));
        using (var previousLife = new JsonlFiles())
        {
            await new JsonlHandler(previousLife, path).HandleAsync(GeminiEventReader.Read(abandoned.EventType, abandoned.Body,
                new DeliveryInfo(abandoned.Endpoint, abandoned.WebhookId, now, now, abandoned.Attempt, "archive")), CancellationToken.None);
        }
        Assert.Single(File.ReadAllLines(path));

        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dispatch:Lease"] = "00:05:00",
            ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
            ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
            ["GeminiHooks:Handlers:archive:Path"] = path,
        }, time: time, store: store);

        var first = await host.AcceptAsync("batch.succeeded");
        var second = await host.AcceptAsync("video.generated");
        await Eventually.UntilAsync(async () => (await host.RunAsync(first, "archive"))?.Status == RunStatus.Succeeded &&
                                          (await host.RunAsync(second, "archive"))?.Status == RunStatus.Succeeded, "both are archived");
        Assert.Equal(RunStatus.Running, (await host.RunAsync("msg_crashed", "archive"))!.Status); // still leased to the dead process

        // Replay: the run repeats, the line does not.
        using (var replay = host.AdminRequest(HttpMethod.Post, $"/admin/events/{TestHost.Endpoint}/{first}/replay"))
        using (var response = await host.Client.SendAsync(replay))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.UntilAsync(async () => (await host.RunAsync(first, "archive"))?.Status == RunStatus.Succeeded, "the replay ran");

        // The lease runs out: this process re-runs the abandoned pair, and finds its line already written.
        await Eventually.AdvanceUntilAsync(time, TimeSpan.FromMinutes(1),
            async () => (await host.RunAsync("msg_crashed", "archive"))?.Status == RunStatus.Succeeded, "the abandoned pair re-runs");
        Assert.Equal(2, (await host.RunAsync("msg_crashed", "archive"))!.Attempts);

        var keys = File.ReadAllLines(path).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal(TestHost.Endpoint, document.RootElement.GetProperty("endpoint").GetString());
            Assert.Equal(JsonValueKind.Object, document.RootElement.GetProperty("event").ValueKind);
            return document.RootElement.GetProperty("webhook_id").GetString();
        }).ToList();
        Assert.Equal(3, keys.Count);
        Assert.Equal("msg_crashed", keys[0]);
        Assert.Equal(new[] { first, second }.Order(), keys.Skip(1).Order()); // those two ran concurrently
    }

    [Fact]
    public async Task Jsonl_repairs_a_torn_last_line_and_keeps_appending()
    {
        using var dir = new TempDirectory();
        var path = dir.File("events.jsonl");
        await File.WriteAllTextAsync(path, """{"endpoint":"static","webhook_id":"a","event":{}}""" + "\n" + """{"endpoint":"static","webhook_i""");
        using var files = new JsonlFiles();
        var handler = new JsonlHandler(files, path);
        var now = DateTimeOffset.UtcNow;
        foreach (var webhookId in new[] { "a", "b", "b" })
        {
            await handler.HandleAsync(GeminiEventReader.Read("batch.cancelled", """{"type":"batch.cancelled","data":{}}"""u8.ToArray(),
                new DeliveryInfo("static", webhookId, now, now, 1, "archive")), CancellationToken.None);
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.Contains("\"webhook_id\":\"b\"", lines[2], StringComparison.Ordinal);
    }
}
