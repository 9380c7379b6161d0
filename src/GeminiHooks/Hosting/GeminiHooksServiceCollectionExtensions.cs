using GeminiHooks.Dispatch;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using GeminiHooks.Verification;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Hosting;

public static class GeminiHooksServiceCollectionExtensions
{
    /// <summary>
    /// Registers verification, the store named by <c>GeminiHooks:Store:Provider</c> and the ingest endpoint, bound to the
    /// <c>GeminiHooks</c> section of <paramref name="configuration"/> and validated at start.
    /// </summary>
    public static IServiceCollection AddGeminiHooks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GeminiHooksOptions>()
            .Bind(configuration.GetSection(GeminiHooksOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GeminiHooksOptions>, GeminiHooksOptionsValidator>();
        services.AddSingleton<IPostConfigureOptions<GeminiHooksOptions>, NormalizeOptions>();
        services.AddSingleton<IPostConfigureOptions<GeminiHooksOptions>, DevelopmentSecret>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<IEventStoreFactory, SqliteEventStoreFactory>();
        services.TryAddSingleton<IEventStore>(CreateStore);
        services.AddHostedService<StoreInitializer>();

        services.AddHttpClient(JwksCache.HttpClientName);
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<JwksCache>(sp,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(JwksCache.HttpClientName)));
        services.AddHostedService<JwksRefresher>();
        services.TryAddSingleton<StaticWebhookVerifier>();
        services.TryAddSingleton<DynamicWebhookVerifier>();

        services.TryAddSingleton<IHandlerCatalog, NoHandlers>();
        services.TryAddSingleton<IngestEndpoint>();
        return services;
    }

    static IEventStore CreateStore(IServiceProvider services)
    {
        var provider = services.GetRequiredService<IOptions<GeminiHooksOptions>>().Value.Store.Provider;
        var factory = services.GetServices<IEventStoreFactory>()
            .LastOrDefault(f => string.Equals(f.Provider, provider, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"GeminiHooks:Store:Provider: '{provider}' is not available.");
        return factory.Create(services);
    }
}
