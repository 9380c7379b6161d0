using Microsoft.Extensions.Hosting;

namespace GeminiHooks.Storage;

/// <summary>Creates or migrates the schema before the server listens: no delivery is answered without a store.</summary>
sealed class StoreInitializer(IEventStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
