using GeminiHooks.Artifacts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GeminiHooks.Hosting;

public static class GeminiHooksArtifactsBuilderExtensions
{
    /// <summary>
    /// Registers <typeparamref name="THandler"/> (scoped) to receive every line of every stored batch responses file
    /// (with <c>Artifacts:Enabled</c>). <paramref name="name"/> (default: the class name) keys its checkpoints in the
    /// store: renaming it hands every stored file to it again.
    /// </summary>
    public static GeminiHooksBuilder AddBatchResultHandler<THandler>(this GeminiHooksBuilder builder, string? name = null)
        where THandler : class, IBatchResultHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        name ??= typeof(THandler).Name;
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("A result handler name must not be empty.", nameof(name));
        if (builder.Services.Any(d => d.ImplementationInstance is BatchResultHandlerRegistration r && r.Name == name))
            throw new InvalidOperationException($"A batch result handler named '{name}' is already registered.");
        builder.Services.AddSingleton(new BatchResultHandlerRegistration(name, typeof(THandler)));
        builder.Services.TryAddScoped<THandler>();
        return builder;
    }
}
