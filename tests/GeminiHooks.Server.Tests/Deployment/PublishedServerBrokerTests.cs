using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Deployment;

/// <summary>The shipped server knows the broker handler types (they live in GeminiHooks.Brokers).</summary>
public class PublishedServerBrokerTests
{
    [Fact]
    public async Task A_broker_handler_with_a_missing_setting_stops_the_published_server_with_one_line_naming_the_key()
    {
        var app = await PublishedServer.DirectoryAsync();
        using var data = new TempDirectory();
        var result = await ChildProcess.RunAsync("dotnet", ["GeminiHooks.Server.dll"], app, environment: new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_HTTP_PORTS"] = ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__Store__ConnectionString"] = $"Data Source={data.File("geminihooks.db")}",
            ["GeminiHooks__Handlers__bus__Type"] = "rabbitmq",
            ["GeminiHooks__Handlers__bus__Uri"] = "amqp//guest:not-this-password@localhost",
        }, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Configuration error: GeminiHooks:Handlers:bus:Uri is not an AMQP URI", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-this-password", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_published_server_publishes_a_delivery_to_the_test_Redis_and_logs_no_password()
    {
        var redis = Environment.GetEnvironmentVariable("GEMINIHOOKS_TEST_REDIS")
            ?? throw new InvalidOperationException("GEMINIHOOKS_TEST_REDIS is not set: run eval \"$(tests/scripts/brokers.sh start)\" first");
        var password = redis[(redis.IndexOf("password=", StringComparison.Ordinal) + "password=".Length)..];
        var port = ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_HTTP_PORTS"] = port,
            ["GeminiHooks__Admin__ApiKey"] = "published-broker-admin-key-01234",
            ["GeminiHooks__Handlers__bus__Type"] = "redis",
            ["GeminiHooks__Handlers__bus__ConnectionString"] = redis,
            ["GeminiHooks__Handlers__bus__Stream"] = "geminihooks:published:" + Guid.NewGuid().ToString("N"),
        });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await server.WaitUntilUpAsync(client);
            using (var response = await client.SendAsync(ServerProcess.Delivery("msg_published_bus")))
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            string? status = null;
            await Eventually.UntilAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/events/static/msg_published_bus");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "published-broker-admin-key-01234");
                using var answer = await client.SendAsync(request);
                if (answer.StatusCode != HttpStatusCode.OK)
                    return false;
                var stored = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
                status = stored["handlers"]?.AsArray().FirstOrDefault(h => (string?)h?["handler"] == "bus")?["status"]?.GetValue<string>();
                return status == "succeeded";
            }, () => $"the redis run succeeds (last status {status})", TimeSpan.FromSeconds(30));
            Assert.DoesNotContain(password, server.Log, StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
