using GeminiHooks.Artifacts;
using GeminiHooks.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.S3;

/// <summary>
/// The artifact store is chosen when it is first resolved, from <c>Artifacts:Store</c>, not when services are
/// registered: a host's configuration may gain sources after composition (a test host's settings file, for one), and
/// the choice must see them. The stores registered before <c>AddGeminiHooksS3</c> are moved under a private key; the
/// one <see cref="IArtifactStore"/> left answers the S3 store for <c>S3</c> and the matching earlier store otherwise,
/// so both <c>GetRequiredService</c> and an enumeration of the stores see the configured one.
/// </summary>
static class ArtifactStoreSelection
{
    static readonly object EarlierStores = new();

    public static void Register(IServiceCollection services)
    {
        var earlier = services.Where(d => d.ServiceType == typeof(IArtifactStore) && !d.IsKeyedService).ToList();
        foreach (var descriptor in earlier)
        {
            services.Remove(descriptor);
            services.Add(Keyed(descriptor));
        }
        services.AddSingleton<IArtifactStore>(Select);
    }

    static IArtifactStore Select(IServiceProvider services)
    {
        var store = services.GetRequiredService<IOptions<ArtifactOptions>>().Value.Store;
        if (string.Equals(store, S3ArtifactStore.StoreName, StringComparison.OrdinalIgnoreCase))
            return services.GetRequiredService<S3ArtifactStore>();
        var candidates = services.GetKeyedServices<IArtifactStore>(EarlierStores).ToList();
        return candidates.LastOrDefault(c => string.Equals(c.Name, store, StringComparison.OrdinalIgnoreCase))
            ?? candidates.LastOrDefault()
            ?? throw new InvalidOperationException(
                $"GeminiHooks:Artifacts:Store is '{store}', but no such artifact store was registered before AddGeminiHooksS3");
    }

    static ServiceDescriptor Keyed(ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: { } instance } => new ServiceDescriptor(typeof(IArtifactStore), EarlierStores, instance),
        { ImplementationFactory: { } factory } =>
            new ServiceDescriptor(typeof(IArtifactStore), EarlierStores, (sp, _) => factory(sp), descriptor.Lifetime),
        _ => new ServiceDescriptor(typeof(IArtifactStore), EarlierStores, descriptor.ImplementationType!, descriptor.Lifetime),
    };
}
