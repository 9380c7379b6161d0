using GeminiHooks.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Dispatch.Tests;

public class ConfigurationValidationTests
{
    [Theory]
    [InlineData("Type", "ftp", null, null, "GeminiHooks:Handlers:archive:Type 'ftp' is unknown (one of log, jsonl, http, slack)")]
    [InlineData("Type", "jsonl", null, null, "GeminiHooks:Handlers:archive:Path is required for Type 'jsonl'")]
    [InlineData("Type", "http", "Url", "http://127.0.0.1:9/x", "GeminiHooks:Handlers:archive:Secret is required for Type 'http'")]
    [InlineData("Type", "http", "Secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "GeminiHooks:Handlers:archive:Url is required for Type 'http'")]
    [InlineData("Type", "slack", "Url", "not a url", "GeminiHooks:Handlers:archive:Url is not an absolute http or https URL")]
    [InlineData("Type", "log", "Events:0", "ba*tch", "GeminiHooks:Handlers:archive:Events:0 'ba*tch' is not a valid pattern")]
    [InlineData("Type", "log", "Events:0", "", "GeminiHooks:Handlers:archive:Events:0 '' is not a valid pattern")]
    [InlineData("Type", "", null, null, "GeminiHooks:Handlers:archive:Type is required")]
    public async Task Invalid_handler_configuration_stops_the_start_naming_the_key(string key1, string value1, string? key2, string? value2,
        string expected)
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider();
        await using var store = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        var settings = new Dictionary<string, string?> { ["GeminiHooks:Handlers:archive:" + key1] = value1 };
        if (key2 is not null)
            settings["GeminiHooks:Handlers:archive:" + key2] = value2;
        await using var app = TestHost.Build(settings, time, store);
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
        Assert.Single(failure.Failures);
    }

    [Fact]
    public async Task A_bad_secret_is_named_without_echoing_it()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider();
        await using var store = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        await using var app = TestHost.Build(new Dictionary<string, string?>
        {
            ["GeminiHooks:Handlers:forward:Type"] = "http",
            ["GeminiHooks:Handlers:forward:Url"] = "https://example.com/hook",
            ["GeminiHooks:Handlers:forward:Secret"] = "whsec_not*base64!",
        }, time, store);
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("GeminiHooks:Handlers:forward:Secret is invalid", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not*base64", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configured_handler_may_not_take_the_name_of_a_code_handler()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider();
        await using var store = await TestHost.OpenStoreAsync(dir.File("events.db"), time);
        await using var app = TestHost.Build(new Dictionary<string, string?> { ["GeminiHooks:Handlers:steady:Type"] = "log" }, time, store,
            hooks => hooks.AddHandler<SteadyHandler>("steady"));
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("GeminiHooks:Handlers:steady has the name of a handler registered in code", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_class_that_is_no_handler_or_a_duplicate_name_is_refused_at_registration()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        var hooks = new Hosting.GeminiHooksBuilder(services);
        Assert.Throws<ArgumentException>(() => hooks.AddHandler<Recorder>());
        hooks.AddHandler<SteadyHandler>();
        Assert.Throws<InvalidOperationException>(() => hooks.AddHandler<FlakyHandler>("SteadyHandler"));
    }
}
