using GeminiHooks.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Server.Tests.Configuration;

/// <summary>
/// Start-up validation, on a host wired exactly as Program wires it. (That Program turns the failure into one line per
/// key and exit code 2 is tested on the published binary, in PublishedServerTests.)
/// </summary>
public class ConfigurationTests
{
    internal static async Task<OptionsValidationException> StartFails(Dictionary<string, string?> settings)
    {
        using var data = new TempDirectory();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GeminiHooks:Static:Secrets:0"] = Receiver.Secret,
            ["GeminiHooks:Store:ConnectionString"] = $"Data Source={data.File("geminihooks.db")}",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGeminiHooks(builder.Configuration);
        await using var app = builder.Build();
        // As in Program: mapping resolves the store (which reads the options), then the host starts.
        return await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            app.MapGeminiHooks();
            await app.StartAsync();
        });
    }

    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "GeminiHooks:Static:Secrets:0", "whsec_not*base64", "GeminiHooks:Static:Secrets:0" },
        { "GeminiHooks:Static:Secrets:0", "whsec_c2hvcnQ=", "GeminiHooks:Static:Secrets:0" },
        { "GeminiHooks:Tolerance", "00:00:00", "GeminiHooks:Tolerance" },
        { "GeminiHooks:MaxBodyBytes", "10", "GeminiHooks:MaxBodyBytes" },
        { "GeminiHooks:Static:Path", "webhooks", "GeminiHooks:Static:Path" },
        { "GeminiHooks:Dynamic:JwksUri", "http://keys.example.com/jwks.json", "GeminiHooks:Dynamic:JwksUri" },
        { "GeminiHooks:Dynamic:Audiences:0", null, "GeminiHooks:Dynamic:Audiences" },
        { "GeminiHooks:Dynamic:Algorithms:0", "HS256", "GeminiHooks:Dynamic:Algorithms:0" },
        { "GeminiHooks:Dynamic:Binding:Keys:0", "whsec_not*base64", "GeminiHooks:Dynamic:Binding:Keys:0" },
        { "GeminiHooks:Store:Provider", "Oracle", "GeminiHooks:Store:Provider" },
        { "GeminiHooks:Dispatch:MaxAttempts", "0", "GeminiHooks:Dispatch:MaxAttempts" },
        { "GeminiHooks:Dispatch:RetryMaxDelay", "00:00:01", "GeminiHooks:Dispatch:RetryMaxDelay" },
    };

    [Theory, MemberData(nameof(BadSettings))]
    public async Task Each_invalid_setting_stops_the_start_with_a_message_naming_the_key(string key, string? value, string named)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key.StartsWith("GeminiHooks:Dynamic", StringComparison.Ordinal))
        {
            settings["GeminiHooks:Dynamic:Enabled"] = "true";
            settings.TryAdd("GeminiHooks:Dynamic:JwksUri", "http://127.0.0.1:9/jwks.json");
            if (!key.StartsWith("GeminiHooks:Dynamic:Audiences", StringComparison.Ordinal))
                settings["GeminiHooks:Dynamic:Audiences:0"] = "https://receiver.example";
            else // audiences are required only when an operator asks for them
                settings["GeminiHooks:Dynamic:RequireAudience"] = "true";
        }
        var error = await StartFails(settings);
        Assert.Contains(error.Failures, f => f.StartsWith(named + ":", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Static_webhooks_with_no_secret_outside_Development_stop_the_start()
    {
        var error = await StartFails(new Dictionary<string, string?> { ["GeminiHooks:Static:Secrets:0"] = "" });
        Assert.Contains(error.Failures, f => f.StartsWith("GeminiHooks:Static:Secrets: is empty", StringComparison.Ordinal));
    }
}
