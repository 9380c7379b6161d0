using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using GeminiHooks.Binding;

namespace GeminiHooks.Server.Tests.Ingest;

/// <summary>
/// Dynamic webhooks as live traffic has them: v1a signatures (node:crypto) against a loopback JWKS of three Ed25519
/// keys and no RSA key, no audience configured, and binding tokens minted by node:crypto from the documented format
/// and by the library. Unbound deliveries are quarantined (or, in Reject mode, refused) and never reach a handler
/// until an operator replays them.
/// </summary>
public class DynamicBindingTests : IAsyncLifetime
{
    const string Path = "/webhooks/gemini/dynamic";
    const string AdminKey = "binding-admin-key-0123456789abcd";
    internal const string Key1 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAAAAAAAAAAA=";
    internal const string Key2 = "whsec_c2Vjb25kLWJpbmRpbmcta2V5LWZvci1yb3RhdGlvbg==";
    const string OtherKey = "whsec_b3RoZXItb3BlcmF0b3JzLWtleS1ub3QtY29uZmlndXJlZA==";
    readonly TempDirectory _data = new();
    readonly List<(JsonObject Public, JsonObject Private)> _keys = [];
    JwksServer _jwks = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;

    string ArchiveFile => System.IO.Path.Combine(_data.Path, "archive.jsonl");

    public async Task InitializeAsync()
    {
        foreach (var kid in new[] { "gemini-ed-a", "gemini-ed-b", "gemini-ed-c" })
            _keys.Add(await NodeSigner.GenerateKeyAsync("EdDSA", kid));
        _jwks = await JwksServer.StartAsync();
        _jwks.SetKeys([.. _keys.Select(k => k.Public)]);
        (_receiver, _client) = await StartReceiverAsync(_data.Path, _jwks.Uri, mode: null);
    }

    /// <summary>A receiver with dynamic webhooks on, two binding keys, no audience, and a jsonl archive as handler.</summary>
    internal static async Task<(Receiver, HttpClient)> StartReceiverAsync(string data, string jwksUri, string? mode)
    {
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:Dynamic:Enabled"] = "true",
            ["GeminiHooks:Dynamic:JwksUri"] = jwksUri,
            ["GeminiHooks:Dynamic:Binding:Keys:0"] = Key1,
            ["GeminiHooks:Dynamic:Binding:Keys:1"] = Key2,
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
            ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
            ["GeminiHooks:Handlers:archive:Path"] = System.IO.Path.Combine(data, "archive.jsonl"),
            ["GeminiHooks:Dispatch:PollInterval"] = "00:00:00.200",
        };
        if (mode is not null)
            settings["GeminiHooks:Dynamic:Binding:Mode"] = mode;
        var receiver = new Receiver(data, settings);
        var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await Eventually.UntilAsync(async () =>
        {
            using var ready = await client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        });
        return (receiver, client);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _receiver.DisposeAsync();
        await _jwks.DisposeAsync();
        _data.Dispose();
    }

    /// <summary>A binding token minted by tests/js/binding-token.mjs (node:crypto, following docs/dynamic-webhooks.md).</summary>
    internal static async Task<string> NodeTokenAsync(string key, long expiry) =>
        (string)(await Node.RunAsync("binding-token.mjs", "mint", new { key, expiry }))["token"]!;

    internal static string EventWith(JsonObject? userMetadata, bool insideData = false, string id = "batches/bound-1")
    {
        var envelope = JsonNode.Parse(Receiver.Event(id: id))!.AsObject();
        if (userMetadata is not null)
        {
            if (insideData)
                envelope["data"]!["user_metadata"] = userMetadata;
            else
                envelope["user_metadata"] = userMetadata;
        }
        return envelope.ToJsonString();
    }

    async Task<HttpResponseMessage> SendV1aAsync(string webhookId, string body, int keyIndex = 0)
    {
        var ts = _receiver.Now;
        var signature = await NodeSigner.SignV1aAsync(_keys[keyIndex].Private, webhookId, ts, body);
        return await _client.SendAsync(Receiver.Delivery(Path, webhookId, ts.ToString(CultureInfo.InvariantCulture), signature, body));
    }

    int ArchivedLines(string webhookId) =>
        File.Exists(ArchiveFile) ? File.ReadAllLines(ArchiveFile).Count(l => l.Contains($"\"{webhookId}\"", StringComparison.Ordinal)) : 0;

    async Task<JsonObject> AdminEventAsync(string webhookId) =>
        JsonNode.Parse(await _client.GetStringAsync($"/admin/events/dynamic/{webhookId}"))!.AsObject();

    [Fact]
    public async Task With_no_audience_configured_node_signed_v1a_deliveries_under_each_of_three_Ed25519_keys_with_a_node_minted_token_are_accepted_and_handled()
    {
        for (var k = 0; k < 3; k++)
        {
            // A token binds the one job that presents it first: one token per job.
            var token = await NodeTokenAsync(Key1, _receiver.Now + 3600);
            var id = $"msg_bound_key{k}";
            // One job per delivery: terminal events of one job after the first are stored but not dispatched.
            using var response = await SendV1aAsync(id, EventWith(new JsonObject { ["geminihooks_token"] = token, ["job"] = "42" }, id: $"batches/bound-key{k}"), k);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("""{"status":"accepted"}""", await response.Content.ReadAsStringAsync());
            await Eventually.UntilAsync(() => Task.FromResult(ArchivedLines(id) == 1));
        }
    }

    [Fact]
    public async Task A_token_binds_the_first_job_that_presents_it_and_quarantines_it_on_any_other()
    {
        var token = await NodeTokenAsync(Key1, _receiver.Now + 3600);
        var metadata = new JsonObject { ["geminihooks_token"] = token };
        using var first = await SendV1aAsync("msg_tie_first", EventWith(metadata.DeepClone().AsObject(), id: "batches/tie-a"));
        Assert.Equal("""{"status":"accepted"}""", await first.Content.ReadAsStringAsync());
        // The same job again under another webhook id (a second registered webhook): still its token.
        using var again = await SendV1aAsync("msg_tie_again", EventWith(metadata.DeepClone().AsObject(), id: "tie-a"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.NotEqual("quarantined", (string?)(await AdminEventAsync("msg_tie_again"))["status"]);

        // A captured token on another job binds nothing.
        using var reused = await SendV1aAsync("msg_tie_reused", EventWith(metadata.DeepClone().AsObject(), id: "batches/tie-b"));
        Assert.Equal("""{"status":"quarantined"}""", await reused.Content.ReadAsStringAsync());
        Assert.Equal("quarantined", (string?)(await AdminEventAsync("msg_tie_reused"))["status"]);
        await Eventually.UntilAsync(() => Task.FromResult(ArchivedLines("msg_tie_first") == 1));
        Assert.Equal(0, ArchivedLines("msg_tie_reused"));
    }

    [Fact]
    public async Task Key_rotation_tokens_minted_with_either_configured_key_are_accepted_and_user_metadata_inside_data_counts()
    {
        var fromKey2 = await NodeTokenAsync(Key2, _receiver.Now + 3600);
        using var first = await SendV1aAsync("msg_rotation_2", EventWith(new JsonObject { ["geminihooks_token"] = fromKey2 }));
        Assert.Equal("""{"status":"accepted"}""", await first.Content.ReadAsStringAsync());

        // The library's minting API, the same code path `geminihooks dynamic-config` prints.
        var config = DynamicWebhookConfig.Create(["https://receiver.example" + Path], Key1, TimeSpan.FromDays(1), time: _receiver.Time);
        var metadata = new JsonObject();
        foreach (var (name, value) in config.UserMetadata)
            metadata[name] = value;
        using var second = await SendV1aAsync("msg_rotation_1", EventWith(metadata, insideData: true, id: "batches/bound-rotation-1"));
        Assert.Equal("""{"status":"accepted"}""", await second.Content.ReadAsStringAsync());
        await Eventually.UntilAsync(() => Task.FromResult(ArchivedLines("msg_rotation_1") == 1 && ArchivedLines("msg_rotation_2") == 1));
    }

    public static TheoryData<string, string> Unbound => new()
    {
        { "missing", "binding_missing" },
        { "forged", "binding_invalid" },
        { "expired", "binding_expired" },
        { "other key", "binding_invalid" },
        { "not text", "binding_invalid" },
    };

    async Task<JsonObject?> MetadataFor(string variant)
    {
        var now = _receiver.Now;
        switch (variant)
        {
            case "missing":
                return new JsonObject { ["job"] = "42" };
            case "forged":
            {
                // A genuine token with its expiry pushed out: the MAC no longer matches.
                var parts = (await NodeTokenAsync(Key1, now + 60)).Split('.');
                parts[1] = (now + 86_400 * 365).ToString(CultureInfo.InvariantCulture);
                return new JsonObject { ["geminihooks_token"] = string.Join('.', parts) };
            }
            case "expired":
                return new JsonObject { ["geminihooks_token"] = await NodeTokenAsync(Key1, now - 1) };
            case "other key":
                return new JsonObject { ["geminihooks_token"] = await NodeTokenAsync(OtherKey, now + 3600) };
            default:
                return new JsonObject { ["geminihooks_token"] = 12345 };
        }
    }

    [Theory, MemberData(nameof(Unbound))]
    public async Task An_unbound_delivery_is_quarantined_listed_not_handled_duplicate_on_redelivery_and_handled_once_after_replay(string variant, string reason)
    {
        var id = "msg_quarantine_" + variant.Replace(' ', '_');
        var body = EventWith(await MetadataFor(variant));
        using var counted = new BindingCounter();
        using var response = await SendV1aAsync(id, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"quarantined"}""", await response.Content.ReadAsStringAsync());
        // Counted by reason, and as a delivery with outcome quarantined (geminihooks_deliveries_total{outcome="quarantined"}).
        // Recorded just after the answer is written, so the client may see the answer first.
        await Eventually.UntilAsync(() => Task.FromResult(
            counted.BindingFailures.Contains((reason, "quarantined")) && counted.DeliveryOutcomes.Contains("quarantined")));

        var stored = await AdminEventAsync(id);
        Assert.Equal("quarantined", (string?)stored["status"]);
        Assert.Empty(stored["handlers"]!.AsArray());
        var listed = JsonNode.Parse(await _client.GetStringAsync("/admin/events?status=quarantined&limit=500"))!["events"]!.AsArray();
        Assert.Contains(listed, e => (string?)e!["webhook_id"] == id);

        using var again = await SendV1aAsync(id, body);
        Assert.Equal("""{"status":"duplicate"}""", await again.Content.ReadAsStringAsync());

        // A bound delivery sent after it is handled; the quarantined one still is not.
        var token = await NodeTokenAsync(Key1, _receiver.Now + 3600);
        using var bound = await SendV1aAsync(id + "_bound", EventWith(new JsonObject { ["geminihooks_token"] = token }));
        await Eventually.UntilAsync(() => Task.FromResult(ArchivedLines(id + "_bound") == 1));
        Assert.Equal(0, ArchivedLines(id));

        using var replay = await _client.PostAsync($"/admin/events/dynamic/{id}/replay", null);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        await Eventually.UntilAsync(async () => (string?)(await AdminEventAsync(id))["status"] == "done");
        Assert.Equal(1, ArchivedLines(id));
        Assert.DoesNotContain(JsonNode.Parse(await _client.GetStringAsync("/admin/events?status=quarantined&limit=500"))!["events"]!.AsArray(),
            e => (string?)e!["webhook_id"] == id);
    }

    /// <summary>
    /// Listens to the receiver's meter in this process. Only this class quarantines (the Reject class refuses), so
    /// a quarantined measurement seen while a test runs is that test's.
    /// </summary>
    sealed class BindingCounter : IDisposable
    {
        readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        readonly System.Collections.Concurrent.ConcurrentBag<(string, string)> _binding = [];
        readonly System.Collections.Concurrent.ConcurrentBag<string> _outcomes = [];

        public BindingCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == GeminiHooks.Observability.GeminiHooksMetrics.MeterName &&
                    instrument.Name is "geminihooks.binding.failures" or "geminihooks.deliveries")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
            {
                string reason = "", action = "", endpoint = "", outcome = "";
                foreach (var tag in tags)
                {
                    var value = tag.Value as string ?? "";
                    switch (tag.Key)
                    {
                        case "reason": reason = value; break;
                        case "action": action = value; break;
                        case "endpoint": endpoint = value; break;
                        case "outcome": outcome = value; break;
                    }
                }
                if (instrument.Name == "geminihooks.binding.failures")
                    _binding.Add((reason, action));
                else if (endpoint == "dynamic")
                    _outcomes.Add(outcome);
            });
            _listener.Start();
        }

        public IReadOnlyCollection<(string, string)> BindingFailures => [.. _binding];
        public IReadOnlyCollection<string> DeliveryOutcomes => [.. _outcomes];

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task The_operator_API_accepts_quarantined_as_a_status_filter()
    {
        using var response = await _client.GetAsync("/admin/events?status=quarantined");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var bad = await _client.GetAsync("/admin/events?status=held");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("quarantined", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

/// <summary>Reject mode: an unbound delivery is answered 403 with a problem body and nothing is stored.</summary>
public class DynamicBindingRejectTests : IAsyncLifetime
{
    readonly TempDirectory _data = new();
    (JsonObject Public, JsonObject Private) _key;
    JwksServer _jwks = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _key = await NodeSigner.GenerateKeyAsync("EdDSA", "gemini-ed-reject");
        _jwks = await JwksServer.StartAsync();
        _jwks.SetKeys(_key.Public);
        (_receiver, _client) = await DynamicBindingTests.StartReceiverAsync(_data.Path, _jwks.Uri, mode: "Reject");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _receiver.DisposeAsync();
        await _jwks.DisposeAsync();
        _data.Dispose();
    }

    async Task<HttpResponseMessage> SendAsync(string id, string body)
    {
        var ts = _receiver.Now;
        var signature = await NodeSigner.SignV1aAsync(_key.Private, id, ts, body);
        return await _client.SendAsync(Receiver.Delivery("/webhooks/gemini/dynamic", id, ts.ToString(CultureInfo.InvariantCulture), signature, body));
    }

    [Theory]
    [InlineData("missing", "has no geminihooks_token")]
    [InlineData("expired", "has expired")]
    [InlineData("other key", "not valid for any configured binding key")]
    public async Task An_unbound_delivery_is_answered_403_with_a_problem_and_not_stored(string variant, string detail)
    {
        var id = "msg_reject_" + variant.Replace(' ', '_');
        var metadata = variant switch
        {
            "missing" => new JsonObject { ["job"] = "1" },
            "expired" => new JsonObject { ["geminihooks_token"] = await DynamicBindingTests.NodeTokenAsync(DynamicBindingTests.Key1, _receiver.Now - 10) },
            _ => new JsonObject { ["geminihooks_token"] = await DynamicBindingTests.NodeTokenAsync("whsec_" + Convert.ToBase64String(new byte[32]), _receiver.Now + 60) },
        };
        using var response = await SendAsync(id, DynamicBindingTests.EventWith(metadata));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var stored = await _client.GetAsync($"/admin/events/dynamic/{id}");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);

        // The same job, fixed (Gemini retries for 24 hours), is accepted.
        var token = await DynamicBindingTests.NodeTokenAsync(DynamicBindingTests.Key2, _receiver.Now + 60);
        using var retried = await SendAsync(id, DynamicBindingTests.EventWith(new JsonObject { ["geminihooks_token"] = token }));
        Assert.Equal("""{"status":"accepted"}""", await retried.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_token_first_presented_by_another_job_is_refused_with_403()
    {
        var token = await DynamicBindingTests.NodeTokenAsync(DynamicBindingTests.Key1, _receiver.Now + 600);
        using var first = await SendAsync("msg_reject_tie_a", DynamicBindingTests.EventWith(new JsonObject { ["geminihooks_token"] = token }, id: "batches/reject-tie-a"));
        Assert.Equal("""{"status":"accepted"}""", await first.Content.ReadAsStringAsync());
        using var reused = await SendAsync("msg_reject_tie_b", DynamicBindingTests.EventWith(new JsonObject { ["geminihooks_token"] = token }, id: "batches/reject-tie-b"));
        Assert.Equal(HttpStatusCode.Forbidden, reused.StatusCode);
        Assert.Contains("binding_reused", await reused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var stored = await _client.GetAsync("/admin/events/dynamic/msg_reject_tie_b");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }
}
