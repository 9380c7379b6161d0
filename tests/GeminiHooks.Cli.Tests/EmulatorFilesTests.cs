using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Emulator;
using GeminiHooks.Cli.Tests.Infrastructure;

namespace GeminiHooks.Cli.Tests;

/// <summary>
/// The emulator's Files API: a finished job's output file reads back as the File resource the SDKs parse, downloads
/// whole or by range with the advertised size and SHA-256, is the same bytes on every read, and obeys the test controls.
/// </summary>
public sealed class EmulatorFilesTests : IAsyncLifetime
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

    async Task<string> FinishedBatchAsync(object outputs)
    {
        using var created = await _http.PostAsJsonAsync("/v1beta/models/gemini-2.5-flash:batchGenerateContent", new { batch = new { } });
        var name = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["name"]!;
        var finish = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(outputs))!.AsObject();
        finish["name"] = name;
        finish["webhook"] = "drop";
        using var finished = await _http.PostAsJsonAsync("/emulator/jobs/finish", finish);
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        return name["batches/".Length..];
    }

    [Fact]
    public async Task A_responses_file_reads_back_with_its_size_and_hash_and_downloads_whole_or_from_an_offset()
    {
        var id = await FinishedBatchAsync(new { output_lines = 50, line_bytes = 200 });
        var batch = JsonNode.Parse(await _http.GetStringAsync($"/v1beta/batches/{id}"))!;
        Assert.Equal($"files/{id}-output", (string?)batch["metadata"]!["output"]!["responsesFile"]);

        var file = JsonNode.Parse(await _http.GetStringAsync($"/v1beta/files/{id}-output"))!;
        Assert.Equal("10000", (string?)file["sizeBytes"]);
        Assert.Equal("ACTIVE", (string?)file["state"]);
        Assert.True(DateTimeOffset.Parse((string)file["expirationTime"]!, System.Globalization.CultureInfo.InvariantCulture) >
                    DateTimeOffset.UtcNow.AddHours(47));
        var whole = await _http.GetByteArrayAsync($"/v1beta/files/{id}-output:download?alt=media");
        Assert.Equal(10_000, whole.Length);
        Assert.Equal((string?)file["sha256Hash"], Convert.ToBase64String(SHA256.HashData(whole)));
        Assert.Equal(whole, await _http.GetByteArrayAsync($"/download/v1beta/files/{id}-output:download?alt=media"));

        var lines = Encoding.UTF8.GetString(whole).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(50, lines.Length);
        Assert.All(lines, l => Assert.Equal(199, l.Length));
        Assert.Equal("request-00000007", (string?)JsonNode.Parse(lines[6])!["key"]);
        Assert.NotNull(JsonNode.Parse(lines[6])!["error"]);
        Assert.NotNull(JsonNode.Parse(lines[0])!["response"]!["candidates"]);

        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/v1beta/files/{id}-output:download?alt=media");
        ranged.Headers.Range = new RangeHeaderValue(1234, null);
        using var partial = await _http.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("bytes 1234-9999/10000", partial.Content.Headers.ContentRange!.ToString());
        Assert.Equal(whole[1234..], await partial.Content.ReadAsByteArrayAsync());

        using var beyond = new HttpRequestMessage(HttpMethod.Get, $"/v1beta/files/{id}-output:download?alt=media");
        beyond.Headers.Range = new RangeHeaderValue(10_000, null);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await _http.SendAsync(beyond)).StatusCode);
    }

    [Fact]
    public async Task An_expired_file_is_404_and_a_cut_download_ends_early_once()
    {
        var id = await FinishedBatchAsync(new { output_bytes = 1_000_000 });
        using (var cut = await _http.PostAsJsonAsync($"/emulator/files/{id}-output/cut", new { after_bytes = 100_000 }))
            Assert.Equal(HttpStatusCode.OK, cut.StatusCode);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => _http.GetByteArrayAsync($"/v1beta/files/{id}-output:download?alt=media"));
        Assert.Equal(999_936, (await _http.GetByteArrayAsync($"/v1beta/files/{id}-output:download?alt=media")).Length); // whole 256-byte lines

        using (var expire = await _http.PostAsJsonAsync($"/emulator/files/{id}-output/expire", new { }))
            Assert.Equal(HttpStatusCode.OK, expire.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/v1beta/files/{id}-output")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/v1beta/files/{id}-output:download?alt=media")).StatusCode);
        using var bad = await _http.PostAsJsonAsync("/emulator/jobs/finish", new { name = "batches/" + id, output_lines = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Without_an_api_key_the_files_are_not_served()
    {
        var id = await FinishedBatchAsync(new { output_lines = 1 });
        using var anonymous = new HttpClient { BaseAddress = _emulator.Address };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/v1beta/files/{id}-output:download?alt=media")).StatusCode);
    }
}
