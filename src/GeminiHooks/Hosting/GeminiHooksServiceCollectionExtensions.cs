using GeminiHooks.Configuration;
using GeminiHooks.Http;
using GeminiHooks.Ingest;
using GeminiHooks.Observability;
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
    /// The tag of the readiness health check (the store answers; with dynamic webhooks on, a JWKS is loaded): map it
    /// with <c>app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains(ReadinessTag) })</c>.
    /// </summary>
    public const string ReadinessTag = "ready";

    /// <summary>
    /// Registers everything the receiver needs, bound to the <c>GeminiHooks</c> section of <paramref name="configuration"/>
    /// and validated at start: verification, the store named by <c>GeminiHooks:Store:Provider</c>, the ingest endpoint,
    /// the readiness health check, and dispatch (handler catalog, configured handlers, dispatcher, retention cleanup).
    /// Add code handlers to the returned builder with <see cref="GeminiHooksBuilder.AddHandler{THandler}"/>.
    /// </summary>
    public static GeminiHooksBuilder AddGeminiHooks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GeminiHooksOptions>()
            .BindTypeChecked(configuration.GetSection(GeminiHooksOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GeminiHooksOptions>, GeminiHooksOptionsValidator>();
        services.AddSingleton<IValidateOptions<GeminiHooksOptions>, SecretsValidator>();
        services.AddSingleton<IValidateOptions<GeminiHooksOptions>, StoreProviderValidator>();
        services.AddSingleton<IValidateOptions<GeminiHooksOptions>, GeminiHooks.Storage.Sqlite.SqlitePathValidator>();
        services.AddSingleton<IPostConfigureOptions<GeminiHooksOptions>, NormalizeOptions>();
        services.AddSingleton<IPostConfigureOptions<GeminiHooksOptions>, DevelopmentSecret>();
        services.AddSingleton<IOptionsMonitor<GeminiHooksOptions>, ReloadableOptions>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<IEventStoreFactory, SqliteEventStoreFactory>();
        services.TryAddSingleton<IEventStore>(CreateStore);
        services.TryAddSingleton<StoreStartup>();
        services.AddHostedService<StoreInitializer>();

        services.AddHttpClient(JwksCache.HttpClientName);
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<JwksCache>(sp,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(JwksCache.HttpClientName)));
        services.AddHostedService<JwksRefresher>();
        services.TryAddSingleton<StaticWebhookVerifier>();
        services.TryAddSingleton<DynamicWebhookVerifier>();
        services.AddSingleton<IValidateOptions<GeminiHooksOptions>, Binding.DynamicBindingValidator>();
        services.TryAddSingleton<Binding.JobConfirmer>();
        services.TryAddSingleton<Binding.DeliveryBinder>();
        services.AddHostedService<Binding.UnboundNotice>();

        services.TryAddSingleton<RecentDeliveries>();
        services.TryAddSingleton<IngestEndpoint>();
        services.AddExceptionHandler<StoreUnavailableExceptionHandler>(); // with UseExceptionHandler(): 503, not 500
        services.AddHealthChecks().AddCheck<ReadinessHealthCheck>(ReadinessHealthCheck.Name, tags: [ReadinessTag]);
        return services.AddGeminiHooksDispatch();
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
