using System.Net;
using System.Text.Json;

namespace GeminiHooks.Tests.Admin;

/// <summary>The operator surface's gate over real HTTP: failed keys are throttled per client, networks are enforced.</summary>
public class AdminGateTests
{
    [Fact]
    public async Task Repeated_wrong_keys_are_throttled_with_Retry_After_until_the_window_ends()
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey });

        for (var i = 0; i < 10; i++)
        {
            using var wrong = host.AdminRequest(HttpMethod.Get, "/admin/events", "wrong-key-" + i);
            using var refused = await host.Client.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using (var eleventh = host.AdminRequest(HttpMethod.Get, "/admin/events", "wrong-key"))
        using (var throttled = await host.Client.SendAsync(eleventh))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType?.MediaType);
            var wait = throttled.Headers.RetryAfter?.Delta;
            Assert.NotNull(wait);
            Assert.InRange(wait.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
            using var problem = JsonDocument.Parse(await throttled.Content.ReadAsStringAsync());
            Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());
        }
        // While throttled, even the right key is refused: a guess cannot be told from a throttled attempt.
        using (var right = host.AdminRequest(HttpMethod.Get, "/admin/events"))
        using (var stillThrottled = await host.Client.SendAsync(right))
            Assert.Equal(HttpStatusCode.TooManyRequests, stillThrottled.StatusCode);

        host.FakeTime.Advance(TimeSpan.FromSeconds(61));
        using (var later = host.AdminRequest(HttpMethod.Get, "/admin/events"))
        using (var served = await host.Client.SendAsync(later))
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Clients_outside_the_allowed_networks_find_neither_the_api_nor_the_dashboard()
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
            ["GeminiHooks:Admin:AllowedNetworks:0"] = "10.0.0.0/8",
            ["GeminiHooks:Admin:AllowedNetworks:1"] = "fd00::/8",
        });
        using (var request = host.AdminRequest(HttpMethod.Get, "/admin/events"))
        using (var response = await host.Client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        using (var page = await host.Client.GetAsync("/admin"))
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
    }

    [Fact]
    public async Task Clients_inside_the_allowed_networks_are_served()
    {
        using var dir = new TempDirectory();
        await using var host = await TestHost.StartAsync(dir, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = TestHost.AdminKey,
            ["GeminiHooks:Admin:AllowedNetworks:0"] = "10.0.0.0/8",
            ["GeminiHooks:Admin:AllowedNetworks:1"] = "127.0.0.0/8",
        });
        using (var request = host.AdminRequest(HttpMethod.Get, "/admin/events"))
        using (var response = await host.Client.SendAsync(request))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using (var page = await host.Client.GetAsync("/admin"))
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }
}
