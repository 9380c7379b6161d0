using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Reconciliation;

/// <summary>
/// Reconciliation against the Gemini emulator (<c>geminihooks emulate</c>) on loopback: a job is created at the emulator,
/// tracked with <c>geminihooks track</c>, and finished with its webhook dropped; the receiver, whose Gemini API is the
/// emulator, reads the job back, synthesizes its event after the grace time and runs the handler once. The receiver's
/// clock is moved by the test; the emulator's HTTP is real.
/// </summary>
public class ReconcileAgainstEmulatorTests : IAsyncLifetime
{
    const string AdminKey = "emulator-reconcile-admin-key";
    const string ApiKey = "emulator-reconcile-api-key";
    readonly TempDirectory _data = new();
    readonly CancellationTokenSource _stopEmulator = new();
    Task<int> _emulatorRun = null!;
    HttpClient _emulator = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var output = new StringWriter();
        _emulatorRun = Task.Run(() => GeminiHooks.Cli.Program.RunAsync(
            ["emulate", "--port", "0", "--api-key", ApiKey], TextWriter.Synchronized(output), TextWriter.Null, _stopEmulator.Token));
        string? root = null;
        await Eventually.UntilAsync(() =>
        {
            var line = output.ToString().Split('\n').FirstOrDefault(l => l.StartsWith("Gemini emulator listening on ", StringComparison.Ordinal));
            root = line?["Gemini emulator listening on ".Length..].Trim();
            return Task.FromResult(root is not null || _emulatorRun.IsCompleted);
        });
        Assert.NotNull(root);
        _emulator = new HttpClient { BaseAddress = new Uri(root + "/") };
        _emulator.DefaultRequestHeaders.Add("x-goog-api-key", ApiKey);

        _receiver = new Receiver(_data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
            ["GeminiHooks:Gemini:BaseUrl"] = root,
            ["GeminiHooks:Gemini:ApiKey"] = ApiKey,
            ["GeminiHooks:Reconcile:Enabled"] = "true",
            ["GeminiHooks:Reconcile:Tick"] = "00:00:01",
            ["GeminiHooks:Reconcile:Grace"] = "00:10:00",
            ["GeminiHooks:Reconcile:PollInitial"] = "00:01:00",
            ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
            ["GeminiHooks:Handlers:archive:Path"] = Path.Combine(_data.Path, "events.jsonl"),
        });
        _client = _receiver.Start();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    public async Task DisposeAsync()
    {
        await _stopEmulator.CancelAsync();
        await _emulatorRun;
        _emulator.Dispose();
        _client.Dispose();
        await _receiver.DisposeAsync();
        _data.Dispose();
        _stopEmulator.Dispose();
    }

    int HandledLines() =>
        File.Exists(Path.Combine(_data.Path, "events.jsonl")) ? File.ReadAllLines(Path.Combine(_data.Path, "events.jsonl")).Length : 0;

    async Task<JsonObject> JobAsync(string name) => (JsonObject)JsonNode.Parse(await _client.GetStringAsync("/admin/jobs/" + name))!;

    /// <summary>Creates a job at the emulator with the SDK's creation call; returns the name to track.</summary>
    async Task<string> CreateAsync(string family)
    {
        var (path, body) = family switch
        {
            "batch" => ("v1beta/models/gemini-2.5-flash:batchGenerateContent", new JsonObject { ["batch"] = new JsonObject { ["displayName"] = "nightly" } }),
            "video" => ("v1beta/models/veo-3.0-generate-001:predictLongRunning", new JsonObject { ["instances"] = new JsonArray() }),
            _ => ("v1beta/interactions", new JsonObject { ["model"] = "deep-research", ["background"] = true }),
        };
        using var response = await _emulator.PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return family == "interaction" ? "interactions/" + (string)created["id"]! : (string)created["name"]!;
    }

    [Theory]
    [InlineData("batch", "batch.succeeded")]
    [InlineData("batch", "batch.expired")]
    [InlineData("video", "video.generated")]
    [InlineData("interaction", "interaction.completed")]
    public async Task A_job_finished_with_its_webhook_dropped_is_synthesized_after_grace_and_handled_once(string family, string type)
    {
        var name = await CreateAsync(family);
        using (var output = new StringWriter())
        {
            var exit = await GeminiHooks.Cli.Program.RunAsync(
                ["track", name, "--receiver", _client.BaseAddress!.ToString(), "--admin-key", AdminKey], output, TextWriter.Null);
            Assert.Equal(0, exit);
        }
        await Eventually.AdvanceUntilAsync(_receiver.Time, TimeSpan.FromSeconds(1),
            async () => (int)(await JobAsync(name))["polls"]! >= 1, "the job was polled while running");
        Assert.Equal("open", (string?)(await JobAsync(name))["status"]);

        using (var finished = await _emulator.PostAsJsonAsync("emulator/jobs/finish", new { name, type, webhook = "drop" }))
            Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        await Eventually.AdvanceUntilAsync(_receiver.Time, TimeSpan.FromSeconds(20),
            async () => (string?)(await JobAsync(name))["status"] == "ended", "the job was seen ended");
        await Eventually.AdvanceUntilAsync(_receiver.Time, TimeSpan.FromMinutes(1),
            async () => (await JobAsync(name))["outcome"] is not null, "an event was synthesized", maxSteps: 15);
        var outcome = (await JobAsync(name))["outcome"]!;
        Assert.True((bool)outcome["reconciled"]!);
        Assert.Equal(type, (string?)outcome["type"]);
        await Eventually.UntilAsync(() => Task.FromResult(HandledLines() == 1), "the handler ran");

        // Gemini's delivery after all, late, with the short id: answered 200, not dispatched again.
        var shortId = name[(name.LastIndexOf('/') + 1)..];
        using (var late = await _client.SendAsync(_receiver.SignedStatic("msg_late_" + shortId, Receiver.Event(type, shortId))))
            Assert.Contains("duplicate", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Equal(1, HandledLines());
    }
}
