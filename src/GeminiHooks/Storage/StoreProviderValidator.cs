using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Storage;

/// <summary><c>Store:Provider</c> must name a registered store (Sqlite always; Postgres once its package is added).</summary>
sealed class StoreProviderValidator(IEnumerable<IEventStoreFactory> storeFactories) : IValidateOptions<GeminiHooksOptions>
{
    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var providers = storeFactories.Select(f => f.Provider).ToList();
        return providers.Contains(options.Store.Provider, StringComparer.OrdinalIgnoreCase)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{GeminiHooksOptions.SectionName}:Store:Provider: '{options.Store.Provider}' is not available (one of {string.Join(", ", providers)})");
    }
}
