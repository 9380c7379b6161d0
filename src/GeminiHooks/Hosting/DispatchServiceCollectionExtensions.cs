using GeminiHooks.Dispatch;
using GeminiHooks.Handlers;
using GeminiHooks.Handlers.BuiltIn;
using GeminiHooks.Observability;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Hosting;

public static class DispatchServiceCollectionExtensions
{
    /// <summary>
    /// Adds the handler catalog (<see cref="IHandlerCatalog"/>, used by ingest), the built-in configured handlers,
    /// the dispatcher and the retention cleanup. The host must also register an <c>IEventStore</c>.
    /// </summary>
    /// <param name="configuration">
    /// When given, <see cref="GeminiHooksOptions"/> is bound from its <c>GeminiHooks</c> section (or from it, when it is
    /// that section). Leave it null when the ingest side already binds the options, so lists are not bound twice.
    /// </param>
    public static GeminiHooksBuilder AddGeminiHooksDispatch(this IServiceCollection services, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var optionsBuilder = services.AddOptions<GeminiHooksOptions>();
        if (configuration is not null)
        {
            var section = configuration is IConfigurationSection { Key: GeminiHooksOptions.SectionName }
                ? configuration
                : configuration.GetSection(GeminiHooksOptions.SectionName);
            optionsBuilder.Bind(section);
        }
        if (services.Any(d => d.ServiceType == typeof(DispatchMarker)))
            return new GeminiHooksBuilder(services);
        services.AddSingleton<DispatchMarker>();
        optionsBuilder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, HandlerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<GeminiHooksMetrics>();
        // The Slack URL is a credential and the default client logging writes request URLs: no loggers on this client.
        services.AddHttpClient(BuiltInHandlerFactory.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.TryAddSingleton<JsonlFiles>();
        services.TryAddSingleton<BuiltInHandlerFactory>();
        services.TryAddSingleton<HandlerCatalog>();
        // Dispatch owns the catalog: replace any placeholder the ingest side registered.
        services.RemoveAll<IHandlerCatalog>();
        services.AddSingleton<IHandlerCatalog>(sp => sp.GetRequiredService<HandlerCatalog>());
        services.AddHostedService<GeminiHooksDispatcher>();
        services.AddHostedService<RetentionCleanupService>();
        services.AddHostedService<TimelineSampler>();
        return new GeminiHooksBuilder(services);
    }

    sealed class DispatchMarker;
}
