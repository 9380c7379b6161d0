using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Verification;

/// <summary>Every static secret must decode, at start and on reload: a typo would otherwise make every delivery a 401.</summary>
sealed class SecretsValidator : IValidateOptions<GeminiHooksOptions>
{
    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Static.Enabled)
            return ValidateOptionsResult.Success;
        var failures = new List<string>();
        for (var i = 0; i < options.Static.Secrets.Count; i++)
        {
            try { StandardWebhooks.DecodeSecret(options.Static.Secrets[i]); }
            catch (FormatException e) { failures.Add($"{GeminiHooksOptions.SectionName}:Static:Secrets:{i}: {e.Message}"); }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
