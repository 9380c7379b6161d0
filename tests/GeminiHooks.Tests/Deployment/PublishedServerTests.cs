using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Tests.Support;
using GeminiHooks.Verification;

namespace GeminiHooks.Tests.Deployment;

/// <summary>No container engine runs here, so the Dockerfile's entrypoint is exercised on the same publish output.</summary>
public class PublishedServerTests
{
    const string Secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    [Fact]
    public async Task The_published_server_starts_from_environment_variables_accepts_a_delivery_logs_JSON_and_passes_its_healthcheck()
    {
        var app = await PublishedServer.DirectoryAsync();
        using var data = new TempDirectory();
        var port = PublishedServer.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Store__ConnectionString"] = $"Data Source={data.File("geminihooks.db")}",
            ["GeminiHooks__Static__Secrets__0"] = Secret,
        };
        using var server = PublishedServer.Start("dotnet", ["GeminiHooks.Server.dll"], app, environment, out var output);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilUp(client, server, output);

            var probe = await PublishedServer.RunAsync("dotnet", ["GeminiHooks.Server.dll", "healthcheck"], app,
                new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture) }, TimeSpan.FromSeconds(30));
            Assert.Equal(0, probe.ExitCode);

            var body = """{"type":"batch.succeeded","version":"v1","data":{"id":"batches/1"}}""";
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var signature = StandardWebhooks.SignV1(StandardWebhooks.DecodeSecret(Secret), "msg_published", ts, Encoding.UTF8.GetBytes(body));
            using var response = await client.SendAsync(Receiver.Delivery("/webhooks/gemini", "msg_published", ts.ToString(CultureInfo.InvariantCulture), signature, body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(File.Exists(data.File("geminihooks.db")));

            string log;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            do
            {
                await Task.Delay(100);
                lock (output) log = output.ToString();
            } while (!log.Contains("msg_published", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
            var line = log.Split('\n').Single(l => l.Contains("msg_published", StringComparison.Ordinal));
            var entry = JsonNode.Parse(line)!; // JSON logs in Production
            Assert.Equal("accepted", (string)entry["Outcome"]!);
            Assert.Equal("batch.succeeded", (string)entry["EventType"]!);
            Assert.DoesNotContain(Secret["whsec_".Length..], log, StringComparison.Ordinal);
            Assert.DoesNotContain("batches/1", log, StringComparison.Ordinal); // no bodies in logs
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
        var afterStop = await PublishedServer.RunAsync("dotnet", ["GeminiHooks.Server.dll", "healthcheck"], app,
            new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture) }, TimeSpan.FromSeconds(30));
        Assert.Equal(1, afterStop.ExitCode);
    }

    [Fact]
    public async Task A_bad_setting_stops_the_published_server_with_one_line_naming_the_key_and_no_stack_trace()
    {
        var app = await PublishedServer.DirectoryAsync();
        using var data = new TempDirectory();
        var result = await PublishedServer.RunAsync("dotnet", ["GeminiHooks.Server.dll"], app, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_HTTP_PORTS"] = PublishedServer.FreePort().ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Store__ConnectionString"] = $"Data Source={data.File("geminihooks.db")}",
            ["GeminiHooks__Static__Secrets__0"] = "whsec_***",
        }, TimeSpan.FromSeconds(60));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Configuration error: GeminiHooks:Static:Secrets:0: the secret is not base64", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
    }

    static async Task WaitUntilUp(HttpClient client, Process server, StringBuilder output)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (server.HasExited)
                lock (output) Assert.Fail("the server exited: " + output);
            try
            {
                using var health = await client.GetAsync("/healthz");
                if (health.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline)
                Assert.Fail("the server did not come up in 60 s");
            await Task.Delay(200);
        }
    }
}
