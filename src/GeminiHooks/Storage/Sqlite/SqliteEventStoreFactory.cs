using GeminiHooks.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Storage.Sqlite;

sealed class SqliteEventStoreFactory : IEventStoreFactory
{
    public string Provider => "Sqlite";

    public IEventStore Create(IServiceProvider services) => new SqliteEventStore(
        services.GetRequiredService<IOptions<GeminiHooksOptions>>().Value.Store,
        services.GetRequiredService<TimeProvider>(),
        services.GetRequiredService<ILogger<SqliteEventStore>>());
}
