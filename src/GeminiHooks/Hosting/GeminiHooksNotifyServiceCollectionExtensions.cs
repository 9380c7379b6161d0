using GeminiHooks.Configuration;
using GeminiHooks.Notifications;
using GeminiHooks.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Hosting;

static class GeminiHooksNotifyServiceCollectionExtensions
{
    /// <summary>
    /// <c>Notify</c>: its validation, the sender and the service that sends. The service runs in every process even with
    /// notifications off, to prune occurrences nobody will send; its messages use the handlers' HTTP client.
    /// </summary>
    internal static IServiceCollection AddGeminiHooksNotifications(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, NotifyOptionsValidator>());
        services.TryAddSingleton<NotificationMetrics>();
        services.TryAddSingleton<NotificationSender>();
        services.AddHostedService<NotificationService>();
        return services;
    }
}
