using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>
/// The delivery rate limit per client address. A one-minute window makes the counts exact: every request of a test
/// falls in the window its first request opened.
/// </summary>
public class RateLimitTests
{
    [Fact]
    public async Task Past_the_limit_deliveries_get_429_with_problem_details_and_Retry_After_and_a_reload_lifts_it()
    {
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:RateLimit:Enabled"] = "true",
            ["GeminiHooks:RateLimit:PermitLimit"] = "3",
            ["GeminiHooks:RateLimit:Window"] = "00:01:00",
        };
        using var receiver = new Receiver(data.Path, settings);
        using var client = receiver.Start();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await client.SendAsync(receiver.SignedStatic($"msg_rl_{i}", Receiver.Event()));
            statuses.Add(ok.StatusCode);
        }
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));

        for (var i = 3; i < 5; i++)
        {
            using var limited = await client.SendAsync(receiver.SignedStatic($"msg_rl_{i}", Receiver.Event()));
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await limited.Content.ReadAsStringAsync())!;
            Assert.Equal(429, (int)problem["status"]!);
            var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 60);
        }
        // Only the delivery endpoints are limited.
        using (var health = await client.GetAsync("/healthz"))
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        // Settings are read per request: turning the limit off lets the next delivery through, no restart.
        settings["GeminiHooks:RateLimit:Enabled"] = "false";
        receiver.WriteSettings(WithBase(receiver, settings));
        var status = HttpStatusCode.TooManyRequests;
        await Eventually.UntilAsync(async () =>
        {
            using var retry = await client.SendAsync(receiver.SignedStatic("msg_rl_after_reload", Receiver.Event()));
            status = retry.StatusCode;
            return status != HttpStatusCode.TooManyRequests;
        }, "the reload turns the limit off", TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Under_the_limit_and_when_it_is_off_no_delivery_is_ever_refused()
    {
        using var offData = new TempDirectory();
        using var off = new Receiver(offData.Path, new Dictionary<string, string?> { ["GeminiHooks:RateLimit:Enabled"] = "false" });
        using var offClient = off.Start();
        for (var i = 0; i < 20; i++)
        {
            using var response = await offClient.SendAsync(off.SignedStatic($"msg_off_{i}", Receiver.Event()));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var onData = new TempDirectory();
        using var on = new Receiver(onData.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:RateLimit:Enabled"] = "true",
            ["GeminiHooks:RateLimit:PermitLimit"] = "10",
            ["GeminiHooks:RateLimit:Window"] = "00:01:00",
        });
        using var onClient = on.Start();
        for (var i = 0; i < 10; i++)
        {
            using var response = await onClient.SendAsync(on.SignedStatic($"msg_on_{i}", Receiver.Event()));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task An_IPv6_client_is_limited_by_its_64_network_and_an_IPv4_client_by_its_address()
    {
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            // The test's requests come from loopback, a trusted proxy by default: the forwarded address is the client.
            // RateLimit:Enabled is not set: the limit is on by default.
            ["GeminiHooks:ForwardedHeaders:Enabled"] = "true",
            ["GeminiHooks:RateLimit:PermitLimit"] = "2",
            ["GeminiHooks:RateLimit:Window"] = "00:01:00",
        });
        using var client = receiver.Start();
        var n = 0;
        async Task<HttpStatusCode> From(string address)
        {
            using var request = receiver.SignedStatic($"msg_v6_{n++}", Receiver.Event());
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", address);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await From("2001:db8:0:1::1"));
        Assert.Equal(HttpStatusCode.OK, await From("2001:db8:0:1::2"));
        // Another address of the same /64 shares the window: a host cannot take a fresh one per address.
        Assert.Equal(HttpStatusCode.TooManyRequests, await From("2001:db8:0:1:ffff:ffff:ffff:ffff"));
        // The next /64 is another client.
        Assert.Equal(HttpStatusCode.OK, await From("2001:db8:0:2::1"));
        // IPv4 clients are one address each.
        Assert.Equal(HttpStatusCode.OK, await From("198.51.100.7"));
        Assert.Equal(HttpStatusCode.OK, await From("198.51.100.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await From("198.51.100.7"));
        Assert.Equal(HttpStatusCode.OK, await From("198.51.100.8"));
    }

    [Theory]
    [InlineData("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64")]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1")]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("::1", "::/64")]
    public void The_partition_of_a_client_address(string address, string partition) =>
        Assert.Equal(partition, DeliveryRateLimiting.ClientOf(IPAddress.Parse(address)));

    /// <summary>The receiver's base settings (secret, store) plus the test's.</summary>
    static Dictionary<string, string?> WithBase(Receiver receiver, Dictionary<string, string?> settings) => new(settings)
    {
        ["GeminiHooks:Static:Secrets:0"] = Receiver.Secret,
        ["GeminiHooks:Store:ConnectionString"] = $"Data Source={receiver.DatabaseFile}",
    };
}
