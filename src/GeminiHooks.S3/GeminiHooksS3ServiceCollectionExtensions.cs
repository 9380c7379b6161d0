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
    /// When <c>GeminiHooks:Artifacts:Store</c> in <paramref name="configuration"/> is <c>S3</c>: makes the S3 store the
    /// <see cref="IArtifactStore"/> (replacing one registered before, e.g. the FileSystem default) and checks
    /// <c>GeminiHooks:Artifacts:S3</c> at start. Otherwise registers nothing. Call after <c>AddGeminiHooks</c>.
    /// Idempotent.
    /// </summary>
    public static IServiceCollection AddGeminiHooksS3(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(GeminiHooksOptions.SectionName + ":Artifacts");
        // The store is chosen once, at composition: a reload that switches stores takes a restart, as Store:Provider does.
        if (!string.Equals(section["Store"], S3ArtifactStore.StoreName, StringComparison.OrdinalIgnoreCase) ||
            services.Any(d => d.ServiceType == typeof(S3ArtifactStore)))
            return services;
        services.AddOptions<ArtifactOptions>().BindTypeChecked(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, S3OptionsValidator>());
        services.AddSingleton<S3ArtifactStore>();
        services.RemoveAll<IArtifactStore>();
        services.AddSingleton<IArtifactStore>(sp => sp.GetRequiredService<S3ArtifactStore>());
        return services;
    }
}
