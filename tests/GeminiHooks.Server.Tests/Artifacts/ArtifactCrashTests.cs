using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Verification;

namespace GeminiHooks.Server.Tests.Artifacts;

/// <summary>
/// <c>kill -9</c> in the middle of a download and in the middle of handing results over, with the sample app
/// (samples/CustomHandler, whose <c>AppendBatchResults</c> appends every result to a file) as the receiver, in a
/// process of its own, against the emulator over HTTP. After a restart every line reaches the handler; only lines
/// after the last checkpoint come twice, and a cut download resumes with a range request.
/// </summary>
public class ArtifactCrashTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    const string Secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const string AdminKey = "crash-admin-key-0123456789abcdefghijklmn";
    const string ApiKey = "crash-test-api-key";
    const int CheckpointLines = 1000;
    readonly TempDirectory _data = new();
    readonly int _port = ChildProcess.FreePort();
    EmulatorProcess _emulator = null!;
    HttpClient _client = null!;

    string ResultsFile => Path.Combine(_data.Path, "results.tsv");

    public async Task InitializeAsync()
    {
        _emulator = await EmulatorProcess.StartAsync(ApiKey, "--api-key", ApiKey);
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
        _data.Dispose();
    }

    async Task<ChildProcess> StartAppAsync()
    {
        var dll = Path.Combine(Repository.Root, "samples", "CustomHandler", "bin", "Release", "net10.0", "CustomHandler.dll");
        Assert.True(File.Exists(dll), $"build the solution first: {dll} is missing");
        var app = ChildProcess.Start("dotnet", [dll], _data.Path, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{_port}",
            ["Logging__LogLevel__Default"] = "Information",
            ["GeminiHooks__Static__Secrets__0"] = Secret,
            ["GeminiHooks__Store__ConnectionString"] = $"Data Source={Path.Combine(_data.Path, "geminihooks.db")}",
            ["GeminiHooks__Admin__ApiKey"] = AdminKey,
            ["GeminiHooks__Gemini__BaseUrl"] = _emulator.Root,
            ["GeminiHooks__Gemini__ApiKey"] = ApiKey,
            ["GeminiHooks__Artifacts__Enabled"] = "true",
            ["GeminiHooks__Artifacts__Path"] = Path.Combine(_data.Path, "artifacts"),
            ["GeminiHooks__Artifacts__Lease"] = "00:00:02",
            ["GeminiHooks__Artifacts__CheckpointLines"] = CheckpointLines.ToString(CultureInfo.InvariantCulture),
            ["Results__Path"] = ResultsFile,
        });
        await app.WaitUntilAnswersAsync(_client, "/readyz", TimeSpan.FromSeconds(60));
        return app;
    }

    async Task<string> FinishedBatchAsync(object outputs)
    {
        using var created = await _emulator.Client.PostAsJsonAsync("v1beta/models/gemini-2.5-flash:batchGenerateContent", new { batch = new { } });
        var name = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["name"]!;
        var finish = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(outputs))!.AsObject();
        finish["name"] = name;
        finish["webhook"] = "drop";
        using var finished = await _emulator.Client.PostAsJsonAsync("emulator/jobs/finish", finish);
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        return name;
    }

    async Task DeliverAsync(string job)
    {
        var body = new JsonObject
        {
            ["type"] = "batch.succeeded", ["version"] = "v1", ["timestamp"] = "2026-12-04T10:00:00Z",
            ["data"] = new JsonObject { ["id"] = job, ["output_file_uri"] = $"files/{job["batches/".Length..]}-output" },
        }.ToJsonString();
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = StandardWebhooks.SignV1(StandardWebhooks.DecodeSecret(Secret), id, ts, Encoding.UTF8.GetBytes(body));
        using var response = await _client.SendAsync(Receiver.Delivery("/webhooks/gemini", id, ts.ToString(CultureInfo.InvariantCulture), signature, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The result lines written so far: (key, line number) per line, in file order (a torn last line left out).</summary>
    List<(string Key, long Line)> Results()
    {
        if (!File.Exists(ResultsFile))
            return [];
        using var stream = new FileStream(ResultsFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var text = new StreamReader(stream).ReadToEnd();
        return text.Split('\n').Where(l => l.Count(c => c == '\t') == 3)
            .Select(l => l.Split('\t')).Select(p => (p[1], long.Parse(p[2], CultureInfo.InvariantCulture))).ToList();
    }

    async Task<JsonObject> ArtifactAsync(string job) => (JsonObject)JsonNode.Parse(await _client.GetStringAsync("/admin/artifacts/" + job))!;

    [Fact]
    public async Task Killed_mid_handling_every_line_reaches_the_handler_and_only_lines_after_the_last_checkpoint_come_twice()
    {
        const int Lines = 300_000;
        var job = await FinishedBatchAsync(new { output_lines = Lines, line_bytes = 160 });
        var app = await StartAppAsync();
        await DeliverAsync(job);
        await Eventually.UntilAsync(() => new FileInfo(ResultsFile) is { Exists: true, Length: > 2_000_000 }, "results are being handed over",
            TimeSpan.FromSeconds(120));
        app.Kill();
        var before = Results();
        Assert.InRange(before.Count, 1, Lines - 1); // killed in the middle, not after the end
        await app.DisposeAsync();

        await using var restarted = await StartAppAsync();
        await Eventually.UntilAsync(async () => (bool?)(await ArtifactAsync(job))["checkpoints"]?[0]?["done"] == true,
            "the restarted app finished the file", TimeSpan.FromSeconds(120));
        var after = Results();
        var byLine = after.GroupBy(r => r.Line).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Enumerable.Range(1, Lines).Select(i => (long)i), byLine.Keys.Order());
        var repeated = byLine.Where(p => p.Value > 1).Select(p => p.Key).Order().ToList();
        Assert.All(byLine.Values, n => Assert.InRange(n, 1, 2));
        // The repeats are the lines after a saved checkpoint (a multiple of CheckpointLines) up to where the kill came.
        Assert.InRange(repeated.Count, 0, CheckpointLines);
        if (repeated.Count > 0)
        {
            Assert.Equal(0, (repeated[0] - 1) % CheckpointLines);
            Assert.Equal(repeated.Count, repeated[^1] - repeated[0] + 1);
            Assert.True(repeated[^1] <= before.Max(r => r.Line));
        }
        Assert.All(after, r => Assert.Equal($"request-{r.Line:D8}", r.Key));
        Assert.DoesNotContain(ApiKey, restarted.Log, StringComparison.Ordinal); // the key goes in a header, never in a log
        Assert.Contains("stored in FileSystem", app.Log + restarted.Log, StringComparison.Ordinal);
        output.WriteLine($"killed after {before.Count} lines handed over; after the restart {repeated.Count} lines came twice");
    }

    [Fact]
    public async Task Killed_mid_download_the_restart_resumes_with_a_range_request_and_stores_the_exact_file()
    {
        var job = await FinishedBatchAsync(new { output_bytes = 400L << 20, line_bytes = 1024 });
        var id = job["batches/".Length..];
        var spool = Path.Combine(_data.Path, "artifacts", ".spool", $"batch-{id}.part");
        var app = await StartAppAsync();
        await DeliverAsync(job);
        await Eventually.UntilAsync(() => new FileInfo(spool) is { Exists: true, Length: > 150L << 20 }, "the download is past 150 MB",
            TimeSpan.FromSeconds(120));
        app.Kill();
        await app.DisposeAsync();
        var saved = await BytesDoneAsync(id);
        Assert.True(saved >= 64L << 20, $"progress saved before the kill: {saved}");

        await using var restarted = await StartAppAsync();
        await Eventually.UntilAsync(async () => (string?)(await ArtifactAsync(job))["status"] == "stored", "the restarted app stored it",
            TimeSpan.FromSeconds(120));
        var artifact = await ArtifactAsync(job);
        var expected = Convert.ToHexStringLower(Convert.FromBase64String(
            (string)JsonNode.Parse(await _emulator.Client.GetStringAsync($"v1beta/files/{id}-output"))!["sha256Hash"]!));
        Assert.Equal(expected, (string?)artifact["sha256"]);
        Assert.Equal(400L << 20, (long)artifact["size"]!);
        var file = JsonNode.Parse(await _emulator.Client.GetStringAsync("emulator/files"))!["files"]!.AsArray()
            .Single(f => (string?)f!["name"] == $"files/{id}-output")!;
        Assert.True((int)file["ranged_downloads"]! >= 1, "the restart asked for the rest only");
        Assert.False(File.Exists(spool));
        Assert.DoesNotContain(ApiKey, restarted.Log, StringComparison.Ordinal);
        output.WriteLine($"killed with {saved} bytes saved; resumed with {(int)file["ranged_downloads"]!} range request(s)");
    }

    /// <summary>The artifact's saved progress, read from the database the killed process left.</summary>
    async Task<long> BytesDoneAsync(string id)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_data.Path, "geminihooks.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT bytes_done FROM artifacts WHERE job_id = $id";
        command.Parameters.AddWithValue("$id", id);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
