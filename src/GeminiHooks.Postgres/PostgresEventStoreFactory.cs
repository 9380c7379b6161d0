using GeminiHooks.Configuration;
using GeminiHooks.Postgres;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Postgres
{
    /// <summary>Creates the PostgreSQL store when <c>Store:Provider</c> is <c>Postgres</c>.</summary>
    sealed class PostgresEventStoreFactory : IEventStoreFactory
    {
        public const string ProviderName = "Postgres";

        public string Provider => ProviderName;

        public IEventStore Create(IServiceProvider services)
        {
            ArgumentNullException.ThrowIfNull(services);
            var options = services.GetRequiredService<IOptions<GeminiHooksOptions>>().Value.Store;
            var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
            var logger = services.GetService<ILogger<PostgresEventStore>>() ?? NullLogger<PostgresEventStore>.Instance;
            return new PostgresEventStore(options, time, logger);
        }
    }
}

// With the library's other Add*/Map* extensions: one `using GeminiHooks.Hosting;` finds them all.
namespace GeminiHooks.Hosting
{
    public static class GeminiHooksPostgresServiceCollectionExtensions
    {
        /// <summary>Makes <c>Store:Provider = Postgres</c> available; the store itself is chosen and created by the host.</summary>
        public static IServiceCollection AddGeminiHooksPostgres(this IServiceCollection services)
        {
            ArgumentNullException.ThrowIfNull(services);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IEventStoreFactory, PostgresEventStoreFactory>());
            return services;
        }
    }
}
