using System.Globalization;
using System.Net;

namespace GeminiHooks.Server.Tests.Deployment;

/// <summary>No container engine runs here, so the Dockerfile's entrypoint is exercised on the same publish output.</summary>
public class PublishedServerTests
{
    [Fact]
    public async Task The_published_server_starts_from_environment_variables_accepts_a_delivery_logs_JSON_and_passes_its_healthcheck()
    {
        var app = await PublishedServer.DirectoryAsync();
        var port = ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        var server = await ServerProcess.StartAsync(new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await server.WaitUntilUpAsync(client);

            var probe = await ChildProcess.RunAsync("dotnet", ["GeminiHooks.Server.dll", "healthcheck"], app,
                environment: new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port }, timeout: TimeSpan.FromSeconds(30));
            Assert.Equal(0, probe.ExitCode);

            var body = """{"type":"batch.succeeded","version":"v1","data":{"id":"batches/1"}}""";
            using var response = await client.SendAsync(ServerProcess.Delivery("msg_published", body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(File.Exists(Path.Combine(server.DataDirectory, "geminihooks.db")));

            var entry = await server.DeliveryLogAsync("msg_published"); // JSON logs in Production
            Assert.Equal("accepted", (string)entry["Outcome"]!);
            Assert.Equal("batch.succeeded", (string)entry["EventType"]!);
            Assert.DoesNotContain(ServerProcess.Secret["whsec_".Length..], server.Log, StringComparison.Ordinal);
            Assert.DoesNotContain("batches/1", server.Log, StringComparison.Ordinal); // no bodies in logs
        }
        finally
        {
            await server.DisposeAsync();
        }
        var afterStop = await ChildProcess.RunAsync("dotnet", ["GeminiHooks.Server.dll", "healthcheck"], app,
            environment: new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port }, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(1, afterStop.ExitCode);
    }

    [Fact]
    public async Task A_bad_setting_stops_the_published_server_with_one_line_naming_the_key_and_no_stack_trace()
    {
        var app = await PublishedServer.DirectoryAsync();
        using var data = new TempDirectory();
        var result = await ChildProcess.RunAsync("dotnet", ["GeminiHooks.Server.dll"], app, environment: new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_HTTP_PORTS"] = ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Store__ConnectionString"] = $"Data Source={data.File("geminihooks.db")}",
            ["GeminiHooks__Static__Secrets__0"] = "whsec_***",
        }, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Configuration error: GeminiHooks:Static:Secrets:0: the secret is not base64", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
    }
}
