using GeminiHooks.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>The operations settings fail the start the same way the core ones do: one line naming the key.</summary>
public class OperationsConfigurationTests
{
    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "GeminiHooks:RateLimit:PermitLimit", "0", "GeminiHooks:RateLimit:PermitLimit: must be at least 1" },
        { "GeminiHooks:RateLimit:Window", "00:00:00", "GeminiHooks:RateLimit:Window: must be between" },
        { "GeminiHooks:ForwardedHeaders:KnownProxies:0", "proxy.local", "GeminiHooks:ForwardedHeaders:KnownProxies:0: 'proxy.local' is not an IP address" },
        { "GeminiHooks:ForwardedHeaders:KnownNetworks:0", "10.0.0.0/40", "GeminiHooks:ForwardedHeaders:KnownNetworks:0: '10.0.0.0/40' is not a network" },
        { "GeminiHooks:Metrics:PrometheusPath", "metrics", "GeminiHooks:Metrics:PrometheusPath: 'metrics' must start with '/'" },
        { "GeminiHooks:Metrics:PrometheusPath", "/webhooks/gemini", "GeminiHooks:Metrics:PrometheusPath: '/webhooks/gemini' is used by a delivery endpoint" },
        { "GeminiHooks:Metrics:Port", "70000", "GeminiHooks:Metrics:Port: must be a TCP port" },
        { "GeminiHooks:Metrics:OtlpEndpoint", "collector:4317", "GeminiHooks:Metrics:OtlpEndpoint: 'collector:4317' is not an absolute http(s) URI" },
        { "GeminiHooks:Admin:ApiKey", "short-admin-key", "GeminiHooks:Admin:ApiKey: must be at least 32 characters (is 15)" },
        { "GeminiHooks:Admin:AllowedNetworks:0", "10.0.0.0/40", "GeminiHooks:Admin:AllowedNetworks:0: '10.0.0.0/40' is not a network" },
    };

    [Theory, MemberData(nameof(BadSettings))]
    public async Task Each_invalid_operations_setting_stops_the_start_with_a_message_naming_the_key(string key, string value, string message)
    {
        using var data = new TempDirectory();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GeminiHooks:Static:Secrets:0"] = Receiver.Secret,
            ["GeminiHooks:Store:ConnectionString"] = $"Data Source={data.File("geminihooks.db")}",
            ["GeminiHooks:RateLimit:Enabled"] = "true",
            [key] = value,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGeminiHooks(builder.Configuration);
        builder.AddGeminiHooksOperations(); // the server's own settings, validated at start like the library's
        await using var app = builder.Build();
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(failure.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
        if (key.EndsWith(":ApiKey", StringComparison.Ordinal))
            Assert.All(failure.Failures, f => Assert.DoesNotContain(value, f, StringComparison.Ordinal)); // a secret is never echoed
    }
}
