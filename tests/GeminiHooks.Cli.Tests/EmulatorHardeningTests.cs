using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Tests.Infrastructure;

namespace GeminiHooks.Cli.Tests;

/// <summary>
/// A web page in the developer's browser can reach 127.0.0.1: the emulator refuses what a page can send without a CORS
/// preflight (text/plain, form and body-less POSTs) and any Host that is not loopback (DNS rebinding).
/// </summary>
public sealed class EmulatorHardeningTests
{
    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    public async Task A_post_that_is_not_json_is_refused_with_415_and_does_nothing(string? contentType)
    {
        await using var emulator = await TestEmulator.StartAsync();
        using var http = new HttpClient { BaseAddress = emulator.Address };
        http.DefaultRequestHeaders.Add("x-goog-api-key", "k");

        foreach (var path in new[] { "/v1beta/webhooks", "/emulator/trigger" })
        {
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"uri":"http://127.0.0.1:9/hook","subscribed_events":["batch.succeeded"],"type":"batch.succeeded"}"""));
            content.Headers.ContentType = contentType is null ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            using var refused = await http.PostAsync(new Uri(path, UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
            Assert.Contains("application/json", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["message"], StringComparison.Ordinal);
        }
        Assert.Empty(emulator.Registry.List(null, null).Page);
        Assert.Empty(emulator.Engine.Records);
    }

    [Fact]
    public async Task A_json_post_with_a_charset_passes()
    {
        await using var emulator = await TestEmulator.StartAsync();
        using var http = new HttpClient { BaseAddress = emulator.Address };
        http.DefaultRequestHeaders.Add("x-goog-api-key", "k");
        using var created = await http.PostAsJsonAsync("/v1beta/webhooks", new JsonObject { ["uri"] = "http://127.0.0.1:9/hook", ["subscribed_events"] = new JsonArray("batch.succeeded") });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Single(emulator.Registry.List(null, null).Page);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:{port}")]
    [InlineData("127.0.0.1.nip.io:{port}")]
    [InlineData("localhost:1")]
    public async Task A_foreign_host_is_refused_with_421_on_reads_and_writes(string host)
    {
        await using var emulator = await TestEmulator.StartAsync();
        using var http = new HttpClient { BaseAddress = emulator.Address };
        var hostHeader = host.Replace("{port}", emulator.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        using var read = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json");
        read.Headers.Host = hostHeader;
        using var readAnswer = await http.SendAsync(read);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, readAnswer.StatusCode);
        Assert.DoesNotContain("\"keys\"", await readAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var write = new HttpRequestMessage(HttpMethod.Post, "/emulator/trigger") { Content = JsonContent.Create(new { type = "batch.succeeded" }) };
        write.Headers.Host = hostHeader;
        using var writeAnswer = await http.SendAsync(write);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, writeAnswer.StatusCode);
        Assert.Contains("is not this emulator", await writeAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:{port}")]
    [InlineData("127.0.0.1:{port}")]
    [InlineData("[::1]:{port}")]
    [InlineData("LOCALHOST")]
    public async Task Loopback_hosts_are_served(string host)
    {
        await using var emulator = await TestEmulator.StartAsync();
        using var http = new HttpClient { BaseAddress = emulator.Address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json");
        request.Headers.Host = host.Replace("{port}", emulator.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        using var answer = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Fact]
    public async Task A_cors_preflight_gets_no_permission()
    {
        await using var emulator = await TestEmulator.StartAsync();
        using var http = new HttpClient { BaseAddress = emulator.Address };
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/emulator/trigger");
        preflight.Headers.Add("Origin", "https://attacker.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var answer = await http.SendAsync(preflight);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(answer.IsSuccessStatusCode && answer.Headers.Contains("Access-Control-Allow-Methods"));
    }
}
