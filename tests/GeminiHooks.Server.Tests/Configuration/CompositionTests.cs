using System.Net;
using GeminiHooks.Configuration;
using GeminiHooks.Handlers;
using GeminiHooks.Hosting;
using GeminiHooks.Storage;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Server.Tests.Configuration;

/// <summary>
/// The Add* extensions are idempotent, as ASP.NET Core's own are: an application (or a library it uses) that composes
/// GeminiHooks twice gets one of everything, not two validators, two dispatchers or a failing health check.
/// </summary>
public class CompositionTests
{
    static Dictionary<string, string?> Settings(TempDirectory data) => new()
    {
        ["GeminiHooks:Static:Enabled"] = "false",
        ["GeminiHooks:Store:ConnectionString"] = $"Data Source={data.File("events.db")}",
    };

    static void Compose(IServiceCollection services, IConfiguration configuration, int times)
    {
        for (var i = 0; i < times; i++)
        {
            services.AddGeminiHooks(configuration);
            services.AddGeminiHooksPostgres();
            services.AddGeminiHooksBrokers();
        }
    }

    /// <summary>Each registration as text: the service, and the implementation type, instance type or factory.</summary>
    static List<string> Registrations(IServiceCollection services) => services
        .Select(d => $"{d.ServiceType} {d.Lifetime} <- " + (d.IsKeyedService
            ? $"keyed {d.ServiceKey}"
            : d.ImplementationType?.ToString() ?? d.ImplementationInstance?.GetType().ToString() ?? "factory " + d.ImplementationFactory!.Method))
        .Order(StringComparer.Ordinal)
        .ToList();

    [Fact]
    public void Composing_twice_registers_exactly_what_composing_once_does()
    {
        using var data = new TempDirectory();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings(data)).Build();
        var once = new ServiceCollection();
        Compose(once, configuration, 1);
        var twice = new ServiceCollection();
        Compose(twice, configuration, 2);

        Assert.Equal(Registrations(once), Registrations(twice));
        var validators = twice.Where(d => d.ServiceType == typeof(IValidateOptions<GeminiHooksOptions>)).Select(d => d.ImplementationType).ToList();
        Assert.Contains(typeof(SecretsValidator), validators);
        Assert.Equal(validators.Distinct(), validators);
        Assert.Single(twice, d => d.ServiceType == typeof(IOptionsMonitor<GeminiHooksOptions>));
    }

    [Fact]
    public async Task A_host_composed_twice_starts_with_one_of_each_service_and_its_readiness_check_answers()
    {
        using var data = new TempDirectory();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(Settings(data));
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        Compose(builder.Services, builder.Configuration, 2);
        await using var app = builder.Build();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(GeminiHooksServiceCollectionExtensions.ReadinessTag) });
        await app.StartAsync();
        try
        {
            var hosted = app.Services.GetServices<IHostedService>().Select(s => s.GetType().FullName!).ToList();
            Assert.Contains("GeminiHooks.Dispatch.GeminiHooksDispatcher", hosted);
            Assert.Equal(hosted.Distinct(), hosted);

            var validators = app.Services.GetServices<IValidateOptions<GeminiHooksOptions>>().Select(v => v.GetType()).ToList();
            Assert.Equal(validators.Distinct(), validators);

            var types = app.Services.GetServices<IConfiguredHandlerType>().Select(t => t.Name).ToList();
            Assert.Equal(["log", "jsonl", "http", "slack", "redis", "nats", "rabbitmq"], types);

            var stores = app.Services.GetServices<IEventStoreFactory>().Select(f => f.Provider).ToList();
            Assert.Equal(["Sqlite", "Postgres"], stores);

            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            await Eventually.UntilAsync(async () =>
            {
                using var ready = await client.GetAsync("/readyz");
                return ready.StatusCode == HttpStatusCode.OK;
            }, "/readyz answers 200");
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
