using GeminiHooks.Artifacts;
using GeminiHooks.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Hosting;

static class GeminiHooksArtifactsServiceCollectionExtensions
{
    /// <summary>
    /// Artifacts (docs/artifacts.md): the FileSystem store (TryAdd: the S3 package registers its own first or replaces
    /// it), the download worker, the result feeder, and the built-in <c>artifacts</c> handler that records each batch's
    /// and video's artifact (the handler catalog includes it while <c>Artifacts:Enabled</c>). The workers idle while
    /// artifacts are off.
    /// </summary>
    internal static void AddGeminiHooksArtifacts(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeminiHooksOptions>, ArtifactOptionsValidator>());
        services.TryAddSingleton<IArtifactStore, FileSystemArtifactStore>();
        services.TryAddSingleton<ArtifactMetrics>();
        services.TryAddSingleton<ArtifactWakeup>();
        services.TryAddSingleton<ArtifactSource>();
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<FileDownloader>(sp,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(Gemini.GeminiApiClient.HttpClientName)));
        services.TryAddSingleton<ArtifactStoredEvent>();
        services.AddHostedService<ArtifactWorker>();
        services.AddHostedService<BatchResultFeeder>();
        services.TryAddScoped<ArtifactCollector>();
    }
}
