using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Server.Tests.Ingest;

/// <summary>
/// <c>Confirm</c> mode against the Gemini emulator (<c>geminihooks emulate</c>) on loopback, standing in for Gemini both
/// as the sender (v1a deliveries signed with its JWKS) and as the API the receiver reads jobs from with the operator's
/// key. No binding token anywhere: a delivery is accepted only when the job it names exists there in the state its
/// event announces; an unreachable API is a 503 with Retry-After, never an acceptance.
/// </summary>
public class DynamicConfirmTests : IAsyncLifetime
{
    const string AdminKey = "confirm-admin-key-0123456789abcdef";
    const string ApiKey = "confirm-api-key";
    readonly TempDirectory _data = new();
    EmulatorProcess _emulatorProcess = null!;
    HttpClient _emulator = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;
    string _dynamicUrl = "";

    public async Task InitializeAsync()
    {
        _emulatorProcess = await EmulatorProcess.StartAsync(ApiKey, "--api-key", ApiKey, "--retry-base-delay", "00:00:00.1", "--max-attempts", "2");
        _emulator = _emulatorProcess.Client;
        (_receiver, _client) = await StartReceiverAsync(_data.Path, _emulatorProcess.Root + "/.well-known/jwks.json", _emulatorProcess.Root);
        _dynamicUrl = new Uri(_client.BaseAddress!, "/webhooks/gemini/dynamic").ToString();
    }

    static async Task<(Receiver, HttpClient)> StartReceiverAsync(string data, string jwksUri, string geminiBaseUrl)
    {
        var receiver = new Receiver(data, Settings(data, jwksUri, geminiBaseUrl),
            new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow));
        var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await Eventually.UntilAsync(async () =>
        {
            using var ready = await client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        });
        return (receiver, client);
    }

    /// <summary>The whole settings file (a rewrite replaces it, so the receiver's own defaults are repeated).</summary>
    static Dictionary<string, string?> Settings(string data, string jwksUri, string geminiBaseUrl) => new()
    {
        ["GeminiHooks:Static:Secrets:0"] = Receiver.Secret,
        ["GeminiHooks:Store:ConnectionString"] = $"Data Source={Path.Combine(data, "geminihooks.db")}",
        ["Serilog:MinimumLevel:Default"] = "Fatal",
        ["GeminiHooks:Dynamic:Enabled"] = "true",
        ["GeminiHooks:Dynamic:JwksUri"] = jwksUri,
        ["GeminiHooks:Dynamic:Binding:Mode"] = "Confirm",
        ["GeminiHooks:Gemini:BaseUrl"] = geminiBaseUrl,
        ["GeminiHooks:Gemini:ApiKey"] = ApiKey,
        ["GeminiHooks:Dynamic:Binding:ConfirmTimeout"] = "00:00:02",
        ["GeminiHooks:Admin:ApiKey"] = AdminKey,
        ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
        ["GeminiHooks:Handlers:archive:Path"] = Path.Combine(data, "archive.jsonl"),
        ["GeminiHooks:Dispatch:PollInterval"] = "00:00:00.200",
    };

    public async Task DisposeAsync()
    {
        await _emulatorProcess.DisposeAsync();
        _client.Dispose();
        await _receiver.DisposeAsync();
        _data.Dispose();
    }

    /// <summary>A batch created at the emulator whose webhook_config sends its deliveries here, with no binding token.</summary>
    async Task<string> CreateBatchAsync()
    {
        using var created = await _emulator.PostAsJsonAsync("v1beta/models/gemini-2.5-flash:batchGenerateContent", new JsonObject
        {
            ["batch"] = new JsonObject { ["webhookConfig"] = new JsonObject { ["uris"] = new JsonArray(_dynamicUrl) } },
        });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        return (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["name"]!;
    }

    /// <summary>Waits for the emulator's delivery to be stored; returns the operator API's view of it.</summary>
    async Task<JsonObject> StoredAsync(HttpResponseMessage fired)
    {
        Assert.Equal(HttpStatusCode.OK, fired.StatusCode);
        var webhookId = (string)(await fired.Content.ReadFromJsonAsync<JsonObject>())!["deliveries"]!.AsArray().Single()!["id"]!;
        JsonObject? stored = null;
        await Eventually.UntilAsync(async () =>
        {
            using var response = await _client.GetAsync($"/admin/events/dynamic/{webhookId}");
            if (response.StatusCode != HttpStatusCode.OK)
                return false;
            stored = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            return (string?)stored["status"] is "done" or "quarantined";
        }, TimeSpan.FromSeconds(30));
        return stored!;
    }

    [Theory]
    [InlineData("full")]
    [InlineData("short")]
    public async Task A_job_the_API_knows_in_the_announced_state_is_accepted_and_handled(string idForm)
    {
        var name = await CreateBatchAsync();
        using var finished = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name, type = "batch.succeeded", id_form = idForm });
        var stored = await StoredAsync(finished);
        Assert.Equal("done", (string?)stored["status"]);
        Assert.Equal("succeeded", (string?)stored["handlers"]![0]!["status"]);
    }

    async Task<int> BatchReadsAsync() =>
        (int?)JsonNode.Parse(await _emulator.GetStringAsync("emulator/stats"))!["requests"]!["batches"] ?? 0;

    [Fact]
    public async Task One_read_of_a_job_answers_for_its_deliveries_within_the_cache_time()
    {
        var name = await CreateBatchAsync();
        using (var finished = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name, type = "batch.succeeded" }))
            Assert.Equal("done", (string?)(await StoredAsync(finished))["status"]);
        var reads = await BatchReadsAsync();
        Assert.Equal(1, reads);

        // The same job announced again (another URI, a resend): confirmed from the cached reading, no second read.
        using (var again = await _emulator.PostAsJsonAsync("emulator/trigger", new JsonObject
               {
                   ["type"] = "batch.succeeded", ["uri"] = _dynamicUrl, ["data"] = new JsonObject { ["id"] = name },
               }))
            Assert.Equal("done", (string?)(await StoredAsync(again))["status"]);
        Assert.Equal(reads, await BatchReadsAsync());
    }

    [Fact]
    public async Task A_Gemini_API_error_answers_503_and_Geminis_retry_is_then_confirmed()
    {
        var name = await CreateBatchAsync();
        using (var armed = await _emulator.PostAsJsonAsync("emulator/faults", new { status = 500, count = 1 }))
            Assert.Equal(HttpStatusCode.OK, armed.StatusCode);
        using var finished = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name, type = "batch.succeeded" });
        Assert.Equal("done", (string?)(await StoredAsync(finished))["status"]);
        // The first attempt was answered 503 (the read failed), the emulator's retry was accepted.
        var deliveries = JsonNode.Parse(await _emulator.GetStringAsync("emulator/deliveries"))!["deliveries"]!.AsArray();
        var delivery = Assert.Single(deliveries, d => (string?)d!["state"] == "delivered");
        Assert.Equal([503, 200], delivery!["attempts"]!.AsArray().Select(a => (int?)a!["status"]));
    }

    [Fact]
    public async Task A_job_the_API_does_not_know_is_quarantined_and_never_handled()
    {
        using var fired = await _emulator.PostAsJsonAsync("emulator/trigger", new JsonObject
        {
            ["type"] = "batch.succeeded",
            ["uri"] = _dynamicUrl,
            ["data"] = new JsonObject { ["id"] = "batches/someone-elses-job" },
        });
        var stored = await StoredAsync(fired);
        Assert.Equal("quarantined", (string?)stored["status"]);
        Assert.Empty(stored["handlers"]!.AsArray());
    }

    [Fact]
    public async Task A_job_whose_state_disagrees_with_the_event_is_quarantined()
    {
        var running = await CreateBatchAsync();
        using var fired = await _emulator.PostAsJsonAsync("emulator/trigger", new JsonObject
        {
            ["type"] = "batch.succeeded",
            ["uri"] = _dynamicUrl,
            ["data"] = new JsonObject { ["id"] = running },
        });
        Assert.Equal("quarantined", (string?)(await StoredAsync(fired))["status"]);

        // A data.id outside the event's family (or any resource path) is never read: quarantined as naming no job.
        using var traversal = await _emulator.PostAsJsonAsync("emulator/trigger", new JsonObject
        {
            ["type"] = "batch.succeeded",
            ["uri"] = _dynamicUrl,
            ["data"] = new JsonObject { ["id"] = "batches/../webhooks" },
        });
        Assert.Equal("quarantined", (string?)(await StoredAsync(traversal))["status"]);
    }

    [Fact]
    public async Task With_RejectUnconfirmed_an_unknown_job_is_refused_403_and_not_stored_and_a_bound_token_needs_no_read()
    {
        var settings = Settings(_data.Path, _emulatorProcess.Root + "/.well-known/jwks.json", _emulatorProcess.Root);
        settings["GeminiHooks:Dynamic:Binding:RejectUnconfirmed"] = "true";
        settings["GeminiHooks:Dynamic:Binding:Keys:0"] = DynamicBindingTests.Key1;
        _receiver.WriteSettings(settings);
        var options = _receiver.Services.GetRequiredService<IOptionsMonitor<GeminiHooks.Configuration.GeminiHooksOptions>>();
        await Eventually.UntilAsync(() => Task.FromResult(options.CurrentValue.Dynamic.Binding.RejectUnconfirmed));

        using var fired = await _emulator.PostAsJsonAsync("emulator/trigger", new JsonObject
        {
            ["type"] = "batch.succeeded", ["uri"] = _dynamicUrl, ["data"] = new JsonObject { ["id"] = "batches/not-mine" },
        });
        var webhookId = (string)(await fired.Content.ReadFromJsonAsync<JsonObject>())!["deliveries"]![0]!["id"]!;
        await Eventually.UntilAsync(async () =>
            (string?)JsonNode.Parse(await _emulator.GetStringAsync($"emulator/deliveries/{webhookId}"))!["state"] is not ("pending" or null));
        var attempts = JsonNode.Parse(await _emulator.GetStringAsync($"emulator/deliveries/{webhookId}"))!["attempts"]!.AsArray();
        Assert.All(attempts, a => Assert.Equal(403, (int?)a!["status"]));
        using (var stored = await _client.GetAsync($"/admin/events/dynamic/{webhookId}"))
            Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);

        // A delivery with a valid token is bound by it: the job (unknown to the API) is not read at all.
        var reads = await BatchReadsAsync();
        var token = await DynamicBindingTests.NodeTokenAsync(DynamicBindingTests.Key1, _receiver.Now + 3600);
        using var bound = await _emulator.PostAsJsonAsync("emulator/trigger", new JsonObject
        {
            ["type"] = "batch.succeeded", ["uri"] = _dynamicUrl, ["data"] = new JsonObject { ["id"] = "batches/minted-elsewhere" },
            ["user_metadata"] = new JsonObject { ["geminihooks_token"] = token },
        });
        Assert.Equal("done", (string?)(await StoredAsync(bound))["status"]);
        Assert.Equal(reads, await BatchReadsAsync());
    }

    [Fact]
    public async Task With_the_Gemini_API_unreachable_a_delivery_gets_503_with_Retry_After_and_is_not_stored()
    {
        using var data = new TempDirectory();
        await using var jwks = await JwksServer.StartAsync();
        var (publicKey, privateKey) = await NodeSigner.GenerateKeyAsync("EdDSA", "ed-confirm");
        jwks.SetKeys(publicKey);
        // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
        var (receiver, client) = await StartReceiverAsync(data.Path, jwks.Uri, "http://127.0.0.1:9");
        await using var _ = receiver;
        using var __ = client;

        var body = Receiver.Event(id: "batches/needs-confirming");
        var signature = await NodeSigner.SignV1aAsync(privateKey, "msg_unreachable", receiver.Now, body);
        using var response = await client.SendAsync(Receiver.Delivery("/webhooks/gemini/dynamic", "msg_unreachable",
            receiver.Now.ToString(CultureInfo.InvariantCulture), signature, body));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("confirm_unavailable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var stored = await client.GetAsync("/admin/events/dynamic/msg_unreachable");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }
}
