using GeminiHooks.Artifacts;
using GeminiHooks.Configuration;
using GeminiHooks.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// With the library's other Add*/Map* extensions: one `using GeminiHooks.Hosting;` finds them all, hence the namespace
// that does not follow this project's folders.
#pragma warning disable IDE0130
namespace GeminiHooks.Hosting;
#pragma warning restore IDE0130

public static class GeminiHooksS3ServiceCollectionExtensions
{
    /// <summary>
    /// Makes <c>GeminiHooks:Artifacts:Store = S3</c> available: the <see cref="IArtifactStore"/> is then the S3 store,
    /// and <c>GeminiHooks:Artifacts:S3</c> is checked at start; with any other value it is the store registered before
    /// this call (the FileSystem default). Call after <c>AddGeminiHooks</c>. Idempotent.
    /// </summary>
    public static IServiceCollection AddGeminiHooksS3(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(S3ArtifactStore)))
            return services;
        services.AddOptions<ArtifactOptions>()
            .BindTypeChecked(configuration.GetSection(GeminiHooksOptions.SectionName + ":Artifacts"))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, S3OptionsValidator>());
        services.AddSingleton<S3ArtifactStore>();
        ArtifactStoreSelection.Register(services);
        return services;
    }
}
