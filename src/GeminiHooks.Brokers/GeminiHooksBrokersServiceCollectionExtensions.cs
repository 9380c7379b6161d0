using GeminiHooks.Brokers.Nats;
using GeminiHooks.Brokers.RabbitMq;
using GeminiHooks.Brokers.Redis;
using Microsoft.Extensions.DependencyInjection;

// With the library's other Add*/Map* extensions: one `using GeminiHooks.Hosting;` finds them all, hence the namespace
// that does not follow this project's folders.
#pragma warning disable IDE0130
namespace GeminiHooks.Hosting;
#pragma warning restore IDE0130

public static class GeminiHooksBrokersServiceCollectionExtensions
{
    /// <summary>
    /// Makes <c>redis</c>, <c>nats</c> and <c>rabbitmq</c> usable as <c>GeminiHooks:Handlers:&lt;name&gt;:Type</c>.
    /// Call after <c>AddGeminiHooks</c> so error messages list the built-in types first. Idempotent: each type is
    /// registered once however often this is called.
    /// </summary>
    public static IServiceCollection AddGeminiHooksBrokers(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddGeminiHooksHandlerType<RedisHandlerType>();
        services.AddGeminiHooksHandlerType<NatsHandlerType>();
        services.AddGeminiHooksHandlerType<RabbitMqHandlerType>();
        return services;
    }
}
