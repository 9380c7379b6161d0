using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GeminiHooks.Hosting;
using GeminiHooks.Server.Tests.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Server.Tests.Artifacts;

/// <summary>
/// Artifacts end to end: a job created and finished at the emulator (over real HTTP), its event delivered to the real
/// server, the output downloaded through the Files API route, stored on the file system or in S3 (a local S3 server),
/// and every line handed to a result handler; on SQLite and on PostgreSQL.
/// </summary>
public class ArtifactsEndToEndTests : IAsyncLifetime
{
    const string AdminKey = "artifacts-admin-key-0123456789abcdefghijkl";
    const string ApiKey = "artifacts-test-api-key";
    readonly TempDirectory _data = new();
    readonly ResultLog _results = new();
    readonly FlakyLog _flaky = new();
    EmulatorProcess _emulator = null!;
    LoopbackReceiver _announced = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _emulator = await EmulatorProcess.StartAsync(ApiKey, "--api-key", ApiKey);
        _announced = await LoopbackReceiver.StartAsync();
    }

    async Task StartReceiverAsync(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
            ["GeminiHooks:Gemini:BaseUrl"] = _emulator.Root,
            ["GeminiHooks:Gemini:ApiKey"] = ApiKey,
            ["GeminiHooks:Artifacts:Enabled"] = "true",
            ["GeminiHooks:Artifacts:Path"] = Path.Combine(_data.Path, "artifacts"),
            ["GeminiHooks:Artifacts:CheckpointLines"] = "5000",
            ["GeminiHooks:Handlers:announce:Type"] = "http",
            ["GeminiHooks:Handlers:announce:Url"] = _announced.Url("/announce"),
            ["GeminiHooks:Handlers:announce:Secret"] = Receiver.Secret,
            ["GeminiHooks:Handlers:announce:Events:0"] = "artifact.stored",
        };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        _receiver = new Receiver(_data.Path, settings, configureServices: services =>
        {
            services.AddSingleton(_results);
            services.AddSingleton(_flaky);
            new GeminiHooksBuilder(services).AddBatchResultHandler<RecordingResultHandler>("recorder")
                .AddBatchResultHandler<FlakyResultHandler>("flaky");
        });
        _client = _receiver.Start();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_receiver is not null)
            await _receiver.DisposeAsync();
        await _announced.DisposeAsync();
        await _emulator.DisposeAsync();
        _data.Dispose();
    }

    /// <summary>Creates a batch (or video) at the emulator and finishes it with the given outputs, its webhook dropped.</summary>
    async Task<string> FinishedJobAsync(string family, object outputs)
    {
        var (path, body) = family == "batch"
            ? ("v1beta/models/gemini-2.5-flash:batchGenerateContent", new JsonObject { ["batch"] = new JsonObject { ["displayName"] = "e2e" } })
            : ("v1beta/models/veo-3.0-generate-001:predictLongRunning", new JsonObject { ["instances"] = new JsonArray() });
        using var created = await _emulator.Client.PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var name = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["name"]!;
        var finish = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(outputs))!.AsObject();
        finish["name"] = name;
        finish["webhook"] = "drop";
        using var finished = await _emulator.Client.PostAsJsonAsync("emulator/jobs/finish", finish);
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        return name;
    }

    /// <summary>Delivers the job's terminal event to the receiver, signed as a static webhook.</summary>
    async Task DeliverAsync(string type, JsonObject data)
    {
        var body = new JsonObject { ["type"] = type, ["version"] = "v1", ["timestamp"] = "2026-12-04T10:00:00Z", ["data"] = data }.ToJsonString();
        using var response = await _client.SendAsync(_receiver.SignedStatic("msg_" + Guid.NewGuid().ToString("N"), body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    async Task<JsonObject> ArtifactAsync(string job) => (JsonObject)JsonNode.Parse(await _client.GetStringAsync("/admin/artifacts/" + job))!;

    async Task<JsonObject> WaitForStatusAsync(string job, string status, TimeSpan? timeout = null)
    {
        var last = "";
        var events = "";
        await Eventually.UntilAsync(async () =>
        {
            using var response = await _client.GetAsync("/admin/artifacts/" + job);
            last = await response.Content.ReadAsStringAsync();
            events = await _client.GetStringAsync("/admin/events");
            return response.IsSuccessStatusCode && (string?)JsonNode.Parse(last)!["status"] == status;
        }, () => $"the artifact of {job} is {status} (last: {last}; events: {events})",
            timeout ?? TimeSpan.FromSeconds(60));
        return await ArtifactAsync(job);
    }

    async Task<string> EmulatorSha256HexAsync(string file) =>
        Convert.ToHexStringLower(Convert.FromBase64String((string)JsonNode.Parse(await _emulator.Client.GetStringAsync("v1beta/" + file))!["sha256Hash"]!));

    async Task<JsonObject> EmulatorFileAsync(string file) =>
        (JsonObject)JsonNode.Parse(await _emulator.Client.GetStringAsync("emulator/files"))!["files"]!.AsArray()
            .Single(f => (string?)f!["name"] == file)!;

    [Fact]
    public Task A_batch_of_100000_lines_is_stored_and_each_line_reaches_the_handler_once_on_sqlite() => HundredThousandLinesAsync([]);

    [Fact]
    public async Task A_batch_of_100000_lines_is_stored_and_each_line_reaches_the_handler_once_on_postgres()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        try
        {
            await HundredThousandLinesAsync(new()
            {
                ["GeminiHooks:Store:Provider"] = "Postgres",
                ["GeminiHooks:Store:ConnectionString"] = database,
            });
        }
        finally
        {
            await DisposeReceiverAsync();
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task A_batch_of_100000_lines_is_stored_in_S3_and_each_line_reaches_the_handler_once()
    {
        var prefix = $"e2e/{Guid.NewGuid():N}/";
        await HundredThousandLinesAsync(TestS3.ServerSettings(prefix), s3Prefix: $"s3://{TestS3.Bucket}/{prefix}");
    }

    async Task DisposeReceiverAsync()
    {
        _client?.Dispose();
        if (_receiver is not null)
            await _receiver.DisposeAsync();
        _receiver = null!;
        _client = null!;
    }

    /// <param name="s3Prefix">Where the S3 store puts objects (<c>s3://bucket/prefix/</c>); null: the file system store.</param>
    async Task HundredThousandLinesAsync(Dictionary<string, string?> store, string? s3Prefix = null)
    {
        const int Lines = 100_000;
        await StartReceiverAsync(store);
        var job = await FinishedJobAsync("batch", new { output_lines = Lines, line_bytes = 200 });
        var id = job["batches/".Length..];
        await DeliverAsync("batch.succeeded", new JsonObject { ["id"] = job, ["output_file_uri"] = $"files/{id}-output" });

        var artifact = await WaitForStatusAsync(job, "stored");
        Assert.Equal(Lines * 200L, (long)artifact["size"]!);
        Assert.Equal(await EmulatorSha256HexAsync($"files/{id}-output"), (string?)artifact["sha256"]);
        var location = (string)artifact["location"]!;
        if (s3Prefix is null)
        {
            Assert.Equal(Path.Combine(_data.Path, "artifacts", "batches", id, "responses.jsonl"), location);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(location));
        }
        else
        {
            Assert.Equal($"{s3Prefix}batches/{id}/responses.jsonl", location);
        }
        // Read back through the store that holds it: the bytes there hash as the Files API said.
        await using (var stored = await _receiver.Services.GetRequiredService<GeminiHooks.Artifacts.IArtifactStore>().OpenReadAsync(location, CancellationToken.None))
            Assert.Equal((string?)artifact["sha256"], Convert.ToHexStringLower(await SHA256.HashDataAsync(stored)));

        await Eventually.UntilAsync(() => Task.FromResult(_results.Seen.Count == Lines), "every line reached the handler", TimeSpan.FromSeconds(120));
        await Eventually.UntilAsync(async () => (await ArtifactAsync(job))["checkpoints"]!.AsArray()
            .Any(c => (string?)c!["handler"] == "recorder" && (bool?)c["done"] == true), "the pass is done");
        Assert.All(_results.Seen, s => Assert.Equal(1, s.Value));
        Assert.Equal(Lines / 7, _results.Errors);
        Assert.Contains((job, "request-00000001"), _results.Seen.Keys);
        Assert.Contains((job, "request-00100000"), _results.Seen.Keys);
        var checkpoint = (await ArtifactAsync(job))["checkpoints"]!.AsArray().Single(c => (string?)c!["handler"] == "recorder")!;
        Assert.Equal(Lines, (long)checkpoint["lines"]!);

        // artifact.stored reached the http handler, re-signed, with the job, kind, location, size and hash.
        await Eventually.UntilAsync(() => Task.FromResult(_announced.Requests.Any(r => r.Body.Contains(job, StringComparison.Ordinal))),
            "artifact.stored was announced");
        var announced = JsonNode.Parse(_announced.Requests.First(r => r.Body.Contains(job, StringComparison.Ordinal)).Body)!;
        Assert.Equal("artifact.stored", (string?)announced["type"]);
        Assert.Equal("responses", (string?)announced["data"]!["kind"]);
        Assert.Equal(location, (string?)announced["data"]!["location"]);
        Assert.Equal((string?)artifact["sha256"], (string?)announced["data"]!["sha256"]);
        Assert.Equal(Lines * 200L, (long)announced["data"]!["size"]!);

        using var list = await _client.GetAsync("/admin/artifacts?status=stored");
        Assert.Contains(job, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_throwing_result_handler_gets_the_same_line_again_after_the_backoff_and_no_line_is_skipped()
    {
        await StartReceiverAsync();
        var job = await FinishedJobAsync("batch", new { output_lines = 20 });
        var id = job["batches/".Length..];
        await DeliverAsync("batch.succeeded", new JsonObject { ["id"] = job, ["output_file_uri"] = $"files/{id}-output" });
        await WaitForStatusAsync(job, "stored");
        await Eventually.UntilAsync(async () => (await ArtifactAsync(job))["checkpoints"]!.AsArray()
            .Any(c => (string?)c!["handler"] == "flaky" && ((string?)c["last_error"])?.Contains("line 5", StringComparison.Ordinal) == true),
            "the failure is recorded at line 5");
        Assert.Equal([1L, 2, 3, 4], _flaky.Lines);
        await Task.Delay(1500);
        Assert.Equal(4, _flaky.Lines.Count); // nothing more before the backoff (Artifacts:RetryBaseDelay) has passed

        _receiver.Time.Advance(TimeSpan.FromSeconds(11));
        await Eventually.UntilAsync(() => Task.FromResult(_flaky.Lines.Count == 20), "the rest of the file after the backoff");
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), _flaky.Lines);
    }

    [Fact]
    public async Task A_download_cut_midway_is_resumed_with_a_range_request_and_the_hash_still_matches()
    {
        await StartReceiverAsync();
        var job = await FinishedJobAsync("batch", new { output_lines = 20_000, line_bytes = 512 });
        var id = job["batches/".Length..];
        using (var cut = await _emulator.Client.PostAsJsonAsync($"emulator/files/{id}-output/cut", new { after_bytes = 3_000_000, count = 1 }))
            Assert.Equal(HttpStatusCode.OK, cut.StatusCode);
        await DeliverAsync("batch.succeeded", new JsonObject { ["id"] = job, ["output_file_uri"] = $"files/{id}-output" });

        var artifact = await WaitForStatusAsync(job, "stored");
        Assert.Equal(await EmulatorSha256HexAsync($"files/{id}-output"), (string?)artifact["sha256"]);
        var file = await EmulatorFileAsync($"files/{id}-output");
        Assert.Equal(2, (int)file["downloads"]!);
        Assert.Equal(1, (int)file["ranged_downloads"]!);
        await Eventually.UntilAsync(() => Task.FromResult(_results.Seen.Count(s => s.Key.Job == job) == 20_000), "every line was handled");
    }

    [Fact]
    public async Task A_file_gone_at_the_source_is_recorded_expired_and_not_tried_again()
    {
        await StartReceiverAsync();
        var job = await FinishedJobAsync("batch", new { output_lines = 10 });
        var id = job["batches/".Length..];
        using (var expire = await _emulator.Client.PostAsJsonAsync($"emulator/files/{id}-output/expire", new { }))
            Assert.Equal(HttpStatusCode.OK, expire.StatusCode);
        await DeliverAsync("batch.succeeded", new JsonObject { ["id"] = job, ["output_file_uri"] = $"files/{id}-output" });

        var artifact = await WaitForStatusAsync(job, "expired");
        Assert.Contains("404", (string?)artifact["last_error"], StringComparison.Ordinal);
        Assert.Equal(1, (int)artifact["attempts"]!);
        _receiver.Time.Advance(TimeSpan.FromHours(1));
        await Task.Delay(1500);
        Assert.Equal(1, (int)(await ArtifactAsync(job))["attempts"]!);
        var scrape = await _client.GetStringAsync("/metrics");
        Assert.True(Prometheus.Value(scrape, "geminihooks_artifacts_expired_total", ("kind", "responses")) >= 1);
    }

    [Fact]
    public async Task Inline_responses_are_written_out_as_the_same_jsonl_and_handed_to_the_handler()
    {
        await StartReceiverAsync();
        var job = await FinishedJobAsync("batch", new { inline_lines = 15 });
        await DeliverAsync("batch.succeeded", new JsonObject { ["id"] = job });

        var artifact = await WaitForStatusAsync(job, "stored");
        Assert.Equal("inline", (string?)artifact["file"]);
        var lines = await File.ReadAllLinesAsync((string)artifact["location"]!);
        Assert.Equal(15, lines.Length);
        Assert.Equal("request-00000007", (string?)JsonNode.Parse(lines[6])!["key"]);
        Assert.NotNull(JsonNode.Parse(lines[6])!["error"]);
        Assert.NotNull(JsonNode.Parse(lines[0])!["response"]!["candidates"]);
        await Eventually.UntilAsync(() => Task.FromResult(_results.Seen.Count(s => s.Key.Job == job) == 15), "every inline result was handled");

        // The CLI lists it and fetches the stored copy, checking its hash.
        var receiver = _client.BaseAddress!.ToString();
        using (var output = new StringWriter())
        {
            Assert.Equal(0, await GeminiHooks.Cli.Program.RunAsync(["artifacts", "list", job, "--receiver", receiver, "--admin-key", AdminKey], output, TextWriter.Null));
            Assert.Contains($"{job}  responses  stored  {(long)artifact["size"]!} bytes", output.ToString(), StringComparison.Ordinal);
        }
        var copy = Path.Combine(_data.Path, "copy.jsonl");
        using (var output = new StringWriter())
        {
            Assert.Equal(0, await GeminiHooks.Cli.Program.RunAsync(["artifacts", "fetch", job, "-o", copy, "--receiver", receiver, "--admin-key", AdminKey],
                output, TextWriter.Null));
            Assert.Contains((string)artifact["sha256"]!, output.ToString(), StringComparison.Ordinal);
        }
        Assert.Equal(lines, await File.ReadAllLinesAsync(copy));
        using (var errors = new StringWriter())
            Assert.NotEqual(0, await GeminiHooks.Cli.Program.RunAsync(["artifacts", "fetch", "batches/nosuchjob", "--receiver", receiver, "--admin-key", AdminKey],
                TextWriter.Null, errors));
    }

    [Fact]
    public async Task A_video_is_stored_with_the_emulators_hash_and_announced()
    {
        await StartReceiverAsync();
        var job = await FinishedJobAsync("video", new { type = "video.generated", video_bytes = 3_000_001 });
        var id = job[(job.LastIndexOf('/') + 1)..];
        await DeliverAsync("video.generated", new JsonObject
        {
            ["id"] = job,
            ["file_name"] = $"files/{id}-video",
            ["output_file_uri"] = $"{_emulator.Root}/v1beta/files/{id}-video:download?alt=media",
        });

        var artifact = await WaitForStatusAsync(job, "stored");
        Assert.Equal("video", (string?)artifact["kind"]);
        Assert.Equal(3_000_001L, (long)artifact["size"]!);
        Assert.Equal(await EmulatorSha256HexAsync($"files/{id}-video"), (string?)artifact["sha256"]);
        Assert.EndsWith(".mp4", (string)artifact["location"]!, StringComparison.Ordinal);
        using var download = await _client.GetAsync($"/admin/artifacts/{job}?download=true");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal((string?)artifact["sha256"], Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync())));
        await Eventually.UntilAsync(() => Task.FromResult(_announced.Requests.Any(r => r.Body.Contains(job, StringComparison.Ordinal))),
            "artifact.stored was announced for the video");
    }
}
