using GeminiHooks.Configuration;
using GeminiHooks.Dispatch;
using GeminiHooks.Handlers;
using GeminiHooks.Handlers.BuiltIn;
using GeminiHooks.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Hosting;

static class GeminiHooksDispatchServiceCollectionExtensions
{
    /// <summary>
    /// Tracked jobs and reconciliation: the Gemini API client (no client logging: the request carries the API key in a
    /// header, and nothing about it must reach a log), the reconciler (idle unless Reconcile:Enabled), the tracker.
    /// </summary>
    static void AddGeminiHooksReconciliation(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, Reconciliation.ReconcileOptionsValidator>());
        services.TryAddSingleton<ReconcileMetrics>();
        services.AddHttpClient(Gemini.GeminiApiClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(OutboundHttpHandler.Create)
            .RemoveAllLoggers();
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<Gemini.GeminiApiClient>(sp,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(Gemini.GeminiApiClient.HttpClientName)));
        services.TryAddSingleton<Reconciliation.GeminiJobTracker>();
        services.TryAddSingleton<Reconciliation.JobReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<Reconciliation.JobReconciler>());
        services.TryAddSingleton<Reconciliation.WebhookWatchdog>();
        services.AddHostedService(sp => sp.GetRequiredService<Reconciliation.WebhookWatchdog>());
    }

    /// <summary>
    /// The dispatch half of <c>AddGeminiHooks</c>: the handler catalog (ingest asks it which handlers an event gets),
    /// the built-in configured handlers, the dispatcher and the retention cleanup. Every registration is a TryAdd, so a
    /// second call adds nothing.
    /// </summary>
    internal static GeminiHooksBuilder AddGeminiHooksDispatch(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, HandlerOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, JsonlFileLockValidator>());
        services.AddMetrics();
        services.TryAddSingleton<GeminiHooksMetrics>();
        services.TryAddSingleton<BacklogGauge>();
        services.TryAddSingleton<ReadinessGauge>();
        services.TryAddSingleton<JwksObserver>();
        services.AddHostedService<ObservedInstruments>();
        services.TryAddSingleton<HandlerFlowMetrics>();
        services.TryAddSingleton<HandlerStateObserver>();
        // The Slack URL is a credential and the default client logging writes request URLs: no loggers on this client.
        services.AddHttpClient(HandlerHttp.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(OutboundHttpHandler.Create)
            .RemoveAllLoggers();
        services.TryAddSingleton<JsonlFiles>();
        // The built-in types first: their order is the one error messages list.
        services.AddGeminiHooksHandlerType<LogHandlerType>();
        services.AddGeminiHooksHandlerType<JsonlHandlerType>();
        services.AddGeminiHooksHandlerType<HttpHandlerType>();
        services.AddGeminiHooksHandlerType<SlackHandlerType>();
        services.TryAddSingleton<ConfiguredHandlerTypes>();
        services.TryAddSingleton<HandlerCatalog>();
        services.TryAddSingleton<IHandlerCatalog>(sp => sp.GetRequiredService<HandlerCatalog>());
        services.AddHostedService<GeminiHooksDispatcher>();
        services.AddHostedService<RetentionCleanupService>();
        services.AddHostedService<TimelineSampler>();
        // Bulk replays (POST /admin/replays) run in every process, so a replay outlives the one that started it.
        services.TryAddSingleton<Admin.Replays.ReplayWakeup>();
        services.AddHostedService<Admin.Replays.ReplayWorker>();
        services.AddGeminiHooksReconciliation();
        services.AddGeminiHooksNotifications();
        return new GeminiHooksBuilder(services);
    }
}
