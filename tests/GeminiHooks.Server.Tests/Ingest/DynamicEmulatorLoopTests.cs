using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Ingest;

/// <summary>
/// The whole dynamic loop on loopback, as an operator runs it: <c>geminihooks dynamic-config</c> mints a
/// webhook_config, a job is created at the emulator with it (batch, video, interaction, each with its REST field), the
/// emulator fires the job's v1a-signed delivery carrying the job's user_metadata, and the receiver, whose JWKS is the
/// emulator's, accepts and handles it. A job created without the token is quarantined.
/// </summary>
public class DynamicEmulatorLoopTests : IAsyncLifetime
{
    const string AdminKey = "loop-admin-key-0123456789abcdef0";
    const string BindingKey = "whsec_bG9vcC1iaW5kaW5nLWtleS1mb3ItdGhlLWVtdWxhdG9y";
    readonly TempDirectory _data = new();
    EmulatorProcess _emulatorProcess = null!;
    HttpClient _emulator = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;
    string _dynamicUrl = "";

    public async Task InitializeAsync()
    {
        _emulatorProcess = await EmulatorProcess.StartAsync("test-api-key", "--retry-base-delay", "00:00:00.1", "--max-attempts", "3");
        _emulator = _emulatorProcess.Client;
        var root = _emulatorProcess.Root;

        _receiver = new Receiver(_data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dynamic:Enabled"] = "true",
            ["GeminiHooks:Dynamic:JwksUri"] = root + "/.well-known/jwks.json",
            ["GeminiHooks:Dynamic:Binding:Keys:0"] = BindingKey,
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
            ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
            ["GeminiHooks:Handlers:archive:Path"] = Path.Combine(_data.Path, "archive.jsonl"),
            ["GeminiHooks:Dispatch:PollInterval"] = "00:00:00.200",
        }, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow));
        _client = _receiver.Start();
        _client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        _dynamicUrl = new Uri(_client.BaseAddress!, "/webhooks/gemini/dynamic").ToString();
        await Eventually.UntilAsync(async () =>
        {
            using var ready = await _client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        });
    }

    public async Task DisposeAsync()
    {
        await _emulatorProcess.DisposeAsync();
        _client.Dispose();
        await _receiver.DisposeAsync();
        _data.Dispose();
    }

    /// <summary>The webhook_config printed by <c>geminihooks dynamic-config</c>.</summary>
    async Task<JsonObject> MintAsync(params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await GeminiHooks.Cli.Program.RunAsync(
            ["dynamic-config", "--uri", _dynamicUrl, "--key", BindingKey, "--ttl", "2d", .. extra], output, error);
        Assert.True(exit == 0, error.ToString());
        return JsonNode.Parse(output.ToString())!.AsObject();
    }

    /// <summary>Finishes the job at the emulator and waits for the receiver to have stored its delivery.</summary>
    async Task<JsonObject> FinishAsync(string jobName)
    {
        using var finish = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name = jobName });
        Assert.Equal(HttpStatusCode.OK, finish.StatusCode);
        var delivery = (await finish.Content.ReadFromJsonAsync<JsonObject>())!["deliveries"]!.AsArray().Single()!;
        var webhookId = (string)delivery["id"]!;
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

    [Fact]
    public async Task A_batch_created_with_the_minted_config_is_delivered_v1a_accepted_and_handled()
    {
        var config = await MintAsync("--metadata", "job=nightly-eval");
        // REST: the config goes in batch.webhookConfig, camelCase.
        using var created = await _emulator.PostAsJsonAsync("v1beta/models/gemini-2.5-flash:batchGenerateContent", new JsonObject
        {
            ["batch"] = new JsonObject
            {
                ["displayName"] = "nightly-eval",
                ["inputConfig"] = new JsonObject { ["fileName"] = "files/input-1" },
                ["webhookConfig"] = new JsonObject { ["uris"] = config["uris"]!.DeepClone(), ["userMetadata"] = config["user_metadata"]!.DeepClone() },
            },
        });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var name = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["name"]!;
        Assert.StartsWith("batches/", name, StringComparison.Ordinal);

        var stored = await FinishAsync(name);
        Assert.Equal("done", (string?)stored["status"]);
        Assert.Equal("succeeded", (string?)stored["handlers"]![0]!["status"]);
        Assert.Equal("batch.succeeded", (string?)stored["type"]);
        Assert.Equal(name, (string?)stored["body"]!["data"]!["id"]);
        Assert.Equal("nightly-eval", (string?)stored["body"]!["user_metadata"]!["job"]);
    }

    [Fact]
    public async Task A_video_and_an_interaction_with_the_minted_config_are_accepted_in_either_field_spelling()
    {
        var config = await MintAsync();
        // Video: top-level webhookConfig; snake_case user_metadata inside is accepted as the SDKs' proto names.
        using var video = await _emulator.PostAsJsonAsync("v1beta/models/veo-3.0-generate-001:predictLongRunning", new JsonObject
        {
            ["instances"] = new JsonArray(new JsonObject { ["prompt"] = "a lighthouse at dusk" }),
            ["webhookConfig"] = new JsonObject { ["uris"] = config["uris"]!.DeepClone(), ["user_metadata"] = config["user_metadata"]!.DeepClone() },
        });
        var videoName = (string)(await video.Content.ReadFromJsonAsync<JsonObject>())!["name"]!;
        Assert.Equal("done", (string?)(await FinishAsync(videoName))["status"]);

        // Interactions: webhook_config, snake_case, as the Interactions API spells it.
        using var interaction = await _emulator.PostAsJsonAsync("v1beta/interactions", new JsonObject
        {
            ["model"] = "gemini-2.5-flash",
            ["input"] = "Summarise the report.",
            ["background"] = true,
            ["webhook_config"] = config.DeepClone(),
        });
        var interactionId = (string)(await interaction.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        var stored = await FinishAsync(interactionId);
        Assert.Equal("done", (string?)stored["status"]);
        Assert.Equal("interaction.completed", (string?)stored["type"]);
    }

    [Fact]
    public async Task A_job_whose_config_has_no_token_is_delivered_but_quarantined_and_never_handled()
    {
        using var created = await _emulator.PostAsJsonAsync("v1beta/models/gemini-2.5-flash:batchGenerateContent", new JsonObject
        {
            ["batch"] = new JsonObject
            {
                ["webhookConfig"] = new JsonObject { ["uris"] = new JsonArray(_dynamicUrl), ["userMetadata"] = new JsonObject { ["job"] = "someone-elses" } },
            },
        });
        var name = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["name"]!;
        var stored = await FinishAsync(name);
        Assert.Equal("quarantined", (string?)stored["status"]);
        Assert.Empty(stored["handlers"]!.AsArray());
        var emulatorView = await _emulator.GetFromJsonAsync<JsonObject>("emulator/deliveries");
        Assert.Contains(emulatorView!["deliveries"]!.AsArray(), d => (string?)d!["state"] == "delivered" && (string?)d["format"] == "v1a");
    }

    [Fact]
    public async Task A_malformed_webhook_config_is_refused_by_the_emulator_as_Gemini_would()
    {
        using var response = await _emulator.PostAsJsonAsync("v1beta/models/gemini-2.5-flash:batchGenerateContent", new JsonObject
        {
            ["batch"] = new JsonObject { ["webhookConfig"] = new JsonObject { ["uris"] = new JsonArray("not a url") } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("INVALID_ARGUMENT", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
