using GeminiHooks.Configuration;
using GeminiHooks.Http;
using GeminiHooks.Ingest;
using GeminiHooks.Observability;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Diagnostics;
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
    /// Idempotent: a second call registers nothing again (the first call's configuration section stays the one bound).
    /// </summary>
    public static GeminiHooksBuilder AddGeminiHooks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // Every registration below is a TryAdd, but binding the section, the health check and the named HTTP clients'
        // settings have no TryAdd form (a second binding applies the section twice, a second check of the same name
        // fails the health check service): a collection composed once is left as it is.
        if (services.Any(d => d.ServiceType == typeof(GeminiHooksMarker)))
            return new GeminiHooksBuilder(services);
        services.AddSingleton<GeminiHooksMarker>();
        services.AddOptions<GeminiHooksOptions>()
            .BindTypeChecked(configuration.GetSection(GeminiHooksOptions.SectionName))
            .ValidateOnStart();
        services.AddHealthChecks().AddCheck<ReadinessHealthCheck>(ReadinessHealthCheck.Name, tags: [ReadinessTag]);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, GeminiHooksOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, SecretsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, StoreProviderValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, SqlitePathValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<GeminiHooksOptions>, NormalizeOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<GeminiHooksOptions>, DevelopmentSecret>());
        services.TryAddSingleton<IOptionsMonitor<GeminiHooksOptions>, ReloadableOptions>();
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEventStoreFactory, SqliteEventStoreFactory>());
        services.TryAddSingleton<IEventStore>(CreateStore);
        services.TryAddSingleton<StoreStartup>();
        services.AddHostedService<StoreInitializer>();

        services.AddHttpClient(JwksCache.HttpClientName).ConfigurePrimaryHttpMessageHandler(OutboundHttpHandler.Create);
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
        services.TryAddSingleton<DeliveryVerification>();
        services.TryAddSingleton<DeliveryRecorder>();
        services.TryAddSingleton<IngestEndpoint>();
        // With UseExceptionHandler(): 503, not 500.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IExceptionHandler, StoreUnavailableExceptionHandler>());
        var builder = services.AddGeminiHooksDispatch();
        services.AddGeminiHooksArtifacts();
        return builder;
    }

    /// <summary>Marks a collection <see cref="AddGeminiHooks"/> has already composed.</summary>
    sealed class GeminiHooksMarker;

    static IEventStore CreateStore(IServiceProvider services)
    {
        var provider = services.GetRequiredService<IOptions<GeminiHooksOptions>>().Value.Store.Provider;
        var factory = services.GetServices<IEventStoreFactory>()
            .LastOrDefault(f => string.Equals(f.Provider, provider, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"GeminiHooks:Store:Provider: '{provider}' is not available.");
        return factory.Create(services);
    }
}
