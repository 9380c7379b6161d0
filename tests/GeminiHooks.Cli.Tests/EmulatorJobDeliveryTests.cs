using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Emulator;
using GeminiHooks.Cli.Tests.Infrastructure;
using GeminiHooks.Verification;

namespace GeminiHooks.Cli.Tests;

/// <summary>
/// Jobs at the emulator end as they end at Gemini: a job whose request names no <c>webhook_config.uris</c> reaches every
/// enabled registered webhook subscribed to its type (project-wide static webhooks), each delivery under its own
/// webhook-id and signed with that webhook's secret; a job with <c>uris</c> reaches those only. Interaction ids are bare.
/// </summary>
public sealed class EmulatorJobDeliveryTests : IAsyncLifetime
{
    EmulatorHost _emulator = null!;
    HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _emulator = await TestEmulator.StartAsync();
        _http = new HttpClient { BaseAddress = _emulator.Address };
        _http.DefaultRequestHeaders.Add("x-goog-api-key", "k");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _emulator.DisposeAsync();
    }

    /// <summary>Registers a webhook as an SDK does; returns its id and its signing secret.</summary>
    async Task<(string Id, string Secret)> RegisterAsync(Uri uri, params string[] events)
    {
        using var created = await _http.PostAsJsonAsync("/v1beta/webhooks", new JsonObject
        {
            ["uri"] = uri.ToString(),
            ["subscribed_events"] = new JsonArray([.. events.Select(e => (JsonNode)e)]),
        });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var webhook = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        return ((string)webhook["id"]!, (string)webhook["new_signing_secret"]!);
    }

    async Task<JsonObject> PostAsync(string path, JsonObject body)
    {
        using var response = await _http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Creates a job of the family with the given webhook config (none when null); returns the name to finish it by.</summary>
    async Task<string> CreateAsync(string family, JsonObject? config = null)
    {
        switch (family)
        {
            case "batch":
                var batch = new JsonObject { ["displayName"] = "nightly" };
                if (config is not null)
                    batch["webhookConfig"] = config;
                return (string)(await PostAsync("/v1beta/models/gemini-2.5-flash:batchGenerateContent", new JsonObject { ["batch"] = batch }))["name"]!;
            case "video":
                var video = new JsonObject { ["instances"] = new JsonArray(new JsonObject { ["prompt"] = "a heron" }) };
                if (config is not null)
                    video["webhookConfig"] = config;
                return (string)(await PostAsync("/v1beta/models/veo-3.0-generate-001:predictLongRunning", video))["name"]!;
            default:
                var interaction = new JsonObject { ["model"] = "gemini-2.5-flash", ["input"] = "Summarise.", ["background"] = true };
                if (config is not null)
                    interaction["webhook_config"] = config;
                return (string)(await PostAsync("/v1beta/interactions", interaction))["id"]!;
        }
    }

    async Task<JsonArray> FinishAsync(object request)
    {
        using var response = await _http.PostAsJsonAsync("/emulator/jobs/finish", request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["deliveries"]!.AsArray();
    }

    static async Task<bool> NpmVerifiesAsync(ReceivedDelivery delivery, string secret) =>
        (bool)(await Node.SignerAsync("verify-static", new JsonObject
        {
            ["secret"] = secret,
            ["headers"] = new JsonObject
            {
                ["webhook-id"] = delivery.Id,
                ["webhook-timestamp"] = delivery.Timestamp,
                ["webhook-signature"] = delivery.Signature,
            },
            ["body"] = delivery.Body,
        }))["ok"]!;

    static bool Verifies(ReceivedDelivery delivery, string secret) =>
        StandardWebhooks.VerifyV1([StandardWebhooks.DecodeSecret(secret)], delivery.Id, delivery.Timestamp, Encoding.UTF8.GetBytes(delivery.Body), delivery.Signature);

    [Fact]
    public async Task A_job_without_webhook_config_reaches_every_enabled_registered_webhook_subscribed_to_its_type_under_its_own_secret()
    {
        await using var first = await TestReceiver.StartAsync();
        await using var second = await TestReceiver.StartAsync();
        await using var disabled = await TestReceiver.StartAsync();
        await using var unsubscribed = await TestReceiver.StartAsync();
        var (firstId, firstSecret) = await RegisterAsync(first.Url, "batch.succeeded", "batch.failed");
        var (secondId, secondSecret) = await RegisterAsync(second.Url, "batch.succeeded");
        var (disabledId, _) = await RegisterAsync(disabled.Url, "batch.succeeded");
        await RegisterAsync(unsubscribed.Url, "batch.failed", "video.generated");
        using (var patch = await _http.PatchAsJsonAsync($"/v1beta/webhooks/{disabledId}?update_mask=state", new JsonObject { ["state"] = "disabled" }))
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        var name = await CreateAsync("batch");
        var deliveries = await FinishAsync(new { name });

        string[] subscribed = [firstId, secondId];
        Assert.Equal(subscribed.Order(StringComparer.Ordinal), deliveries.Select(d => (string)d!["webhook"]!).Order(StringComparer.Ordinal));
        Assert.All(deliveries, d => Assert.Equal("v1", (string?)d!["format"]));
        await first.WaitForAsync(1);
        await second.WaitForAsync(1);
        await Eventually.UntilAsync(() => Task.FromResult(_emulator.Engine.Records.All(r => r.State == "delivered")), "both deliveries done");
        Assert.Empty(disabled.Received);
        Assert.Empty(unsubscribed.Received);

        var atFirst = Assert.Single(first.Received);
        var atSecond = Assert.Single(second.Received);
        Assert.NotEqual(atFirst.Id, atSecond.Id);
        foreach (var (delivery, own, other) in new[] { (atFirst, firstSecret, secondSecret), (atSecond, secondSecret, firstSecret) })
        {
            Assert.True(Verifies(delivery, own), "verifies under its own webhook's secret (ours)");
            Assert.True(await NpmVerifiesAsync(delivery, own), "verifies under its own webhook's secret (npm standardwebhooks)");
            Assert.False(Verifies(delivery, other), "does not verify under the other webhook's secret");
            var body = JsonNode.Parse(delivery.Body)!;
            Assert.Equal("batch.succeeded", (string?)body["type"]);
            Assert.Equal(name, (string?)body["data"]!["id"]);
            Assert.Null(body["user_metadata"]);
        }
    }

    [Fact]
    public async Task Two_registered_webhooks_with_one_url_deliver_one_event_twice_under_different_ids()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await RegisterAsync(receiver.Url, "video.generated");
        await RegisterAsync(receiver.Url, "video.generated");

        var deliveries = await FinishAsync(new { name = await CreateAsync("video") });

        Assert.Equal(2, deliveries.Count);
        await receiver.WaitForAsync(2);
        Assert.Equal(2, receiver.Received.Select(d => d.Id).Distinct().Count());
        Assert.Single(receiver.Received.Select(d => JsonNode.Parse(d.Body)!["data"]!.ToJsonString()).Distinct());
    }

    [Fact]
    public async Task A_job_with_uris_goes_to_those_only_v1a_signed_and_bypasses_the_registered_webhooks()
    {
        await using var registered = await TestReceiver.StartAsync();
        await using var own = await TestReceiver.StartAsync();
        await RegisterAsync(registered.Url, "batch.succeeded");

        var name = await CreateAsync("batch", new JsonObject { ["uris"] = new JsonArray(own.Url.ToString()) });
        var delivery = Assert.Single(await FinishAsync(new { name }))!;

        Assert.Equal("v1a", (string?)delivery["format"]);
        Assert.Null(delivery["webhook"]);
        await own.WaitForAsync(1);
        Assert.StartsWith("v1a,", Assert.Single(own.Received).Signature, StringComparison.Ordinal);
        await Eventually.UntilAsync(() => Task.FromResult(_emulator.Engine.Records.All(r => r.State == "delivered")), "the delivery done");
        Assert.Empty(registered.Received);
    }

    [Theory]
    [InlineData("batch", "batch.succeeded", "userMetadata")]
    [InlineData("video", "video.generated", "userMetadata")]
    [InlineData("interaction", "interaction.completed", "user_metadata")]
    public async Task A_user_metadata_only_config_is_accepted_and_echoed_to_the_registered_webhooks(string family, string type, string field)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (_, secret) = await RegisterAsync(receiver.Url, type);
        receiver.Secrets = [secret];

        var name = await CreateAsync(family, new JsonObject { [field] = new JsonObject { ["tenant"] = "acme", ["run"] = "42" } });
        var delivery = Assert.Single(await FinishAsync(new { name }))!;

        Assert.Equal("v1", (string?)delivery["format"]);
        await receiver.WaitForAsync(1);
        var received = Assert.Single(receiver.Received);
        Assert.Equal(200, received.AnsweredStatus);
        var body = JsonNode.Parse(received.Body)!;
        Assert.Equal(type, (string?)body["type"]);
        Assert.Equal("acme", (string?)body["user_metadata"]!["tenant"]);
        Assert.Equal("42", (string?)body["user_metadata"]!["run"]);
    }

    [Fact]
    public async Task A_config_whose_uris_are_not_urls_is_refused()
    {
        using var response = await _http.PostAsJsonAsync("/v1beta/interactions", new JsonObject
        {
            ["model"] = "gemini-2.5-flash",
            ["webhook_config"] = new JsonObject { ["uris"] = new JsonArray("not a url") },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("uris", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("short")]
    public async Task Interaction_ids_are_bare_from_creation_to_delivery(string idForm)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await RegisterAsync(receiver.Url, "interaction.failed");

        var id = await CreateAsync("interaction");
        Assert.Matches("^v1_[A-Za-z0-9_-]+$", id);
        var read = JsonNode.Parse(await _http.GetStringAsync(new Uri($"/v1beta/interactions/{id}", UriKind.Relative)))!;
        Assert.Equal(id, (string?)read["id"]);
        Assert.Equal("in_progress", (string?)read["status"]);
        var listed = JsonNode.Parse(await _http.GetStringAsync(new Uri("/emulator/jobs", UriKind.Relative)))!["jobs"]!.AsArray();
        Assert.Equal(id, (string?)Assert.Single(listed)!["name"]);

        Assert.Single(await FinishAsync(new { name = id, type = "interaction.failed", id_form = idForm }));
        await receiver.WaitForAsync(1);
        var data = JsonNode.Parse(Assert.Single(receiver.Received).Body)!["data"]!;
        Assert.Equal(id, (string?)data["id"]);
        Assert.False(string.IsNullOrEmpty((string?)data["error_code"]));
        Assert.Equal("failed", (string?)JsonNode.Parse(await _http.GetStringAsync(new Uri($"/v1beta/interactions/{id}", UriKind.Relative)))!["status"]);
        Assert.DoesNotContain("interactions/", Assert.Single(receiver.Received).Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("short")]
    public async Task A_finished_video_carries_the_guides_fields_and_its_id_in_the_form_asked_for(string idForm)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await RegisterAsync(receiver.Url, "video.generated");
        var name = await CreateAsync("video");
        Assert.Matches("^models/veo-3.0-generate-001/operations/[a-z0-9]+$", name);

        Assert.Single(await FinishAsync(new { name, id_form = idForm }));
        await receiver.WaitForAsync(1);
        var data = JsonNode.Parse(Assert.Single(receiver.Received).Body)!["data"]!;
        Assert.Equal(idForm == "full" ? name : name[(name.LastIndexOf('/') + 1)..], (string?)data["id"]);
        Assert.StartsWith("https://", (string?)data["output_file_uri"], StringComparison.Ordinal);
        Assert.StartsWith("files/", (string?)data["file_name"], StringComparison.Ordinal);
        Assert.Equal((string?)data["output_file_uri"], (string?)data["video_uri"]);
    }
}
