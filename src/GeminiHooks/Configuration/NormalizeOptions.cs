using Microsoft.Extensions.Options;

namespace GeminiHooks.Configuration;

/// <summary>
/// Drops blank list entries, so an environment variable set to nothing (<c>GeminiHooks__Static__Secrets__0=</c>)
/// means "no secret" rather than "a secret that fails to decode".
/// </summary>
sealed class NormalizeOptions : IPostConfigureOptions<GeminiHooksOptions>
{
    public void PostConfigure(string? name, GeminiHooksOptions options)
    {
        options.Static.Secrets.RemoveAll(string.IsNullOrWhiteSpace);
        options.Dynamic.Audiences.RemoveAll(string.IsNullOrWhiteSpace);
        options.Dynamic.Issuers.RemoveAll(string.IsNullOrWhiteSpace);
        options.Dynamic.Algorithms.RemoveAll(string.IsNullOrWhiteSpace);
        options.Dynamic.Binding.Keys.RemoveAll(string.IsNullOrWhiteSpace);
    }
}
