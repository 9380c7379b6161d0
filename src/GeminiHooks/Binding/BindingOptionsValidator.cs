using GeminiHooks.Configuration;
using GeminiHooks.Verification;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Binding;

/// <summary>Every binding key must decode, at start and on reload: a typo would otherwise quarantine every delivery.</summary>
sealed class BindingOptionsValidator : IValidateOptions<GeminiHooksOptions>
{
    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Dynamic.Enabled)
            return ValidateOptionsResult.Success;
        const string S = GeminiHooksOptions.SectionName + ":Dynamic:Binding";
        var binding = options.Dynamic.Binding;
        var failures = new List<string>();
        for (var i = 0; i < binding.Keys.Count; i++)
        {
            try { StandardWebhooks.DecodeSecret(binding.Keys[i]); }
            catch (FormatException e) { failures.Add($"{S}:Keys:{i}: {e.Message} (generate one with: geminihooks keys secret)"); }
        }
        if (string.IsNullOrWhiteSpace(binding.MetadataKey))
            failures.Add($"{S}:MetadataKey: is empty (the default is geminihooks_token)");
        if (!Enum.IsDefined(binding.Mode))
            failures.Add($"{S}:Mode: must be Quarantine or Reject");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
