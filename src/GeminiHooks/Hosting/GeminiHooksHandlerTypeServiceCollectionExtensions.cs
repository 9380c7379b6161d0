using GeminiHooks.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GeminiHooks.Hosting;

public static class GeminiHooksHandlerTypeServiceCollectionExtensions
{
    /// <summary>Makes <typeparamref name="T"/>'s <see cref="IConfiguredHandlerType.Name"/> usable as a configured <c>Type</c>.</summary>
    public static IServiceCollection AddGeminiHooksHandlerType<T>(this IServiceCollection services) where T : class, IConfiguredHandlerType
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfiguredHandlerType, T>());
        return services;
    }
}
