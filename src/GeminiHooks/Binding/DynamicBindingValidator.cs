using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Binding;

/// <summary>
/// Dynamic webhooks are never on with silent trust: the start (and a reload) fails unless binding keys are set
/// (Quarantine or Reject), or Mode is Confirm with a Gemini API key to confirm with, or Mode is Off, said explicitly.
/// Key decoding is checked with the other secrets (Verification).
/// </summary>
sealed class DynamicBindingValidator : IValidateOptions<GeminiHooksOptions>
{
    const string S = GeminiHooksOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Dynamic.Enabled)
            return ValidateOptionsResult.Success;
        var binding = options.Dynamic.Binding;
        var failures = new List<string>();
        void Fail(string key, string message) => failures.Add($"{S}:{key}: {message}");

        if (string.IsNullOrWhiteSpace(binding.MetadataKey))
            Fail("Dynamic:Binding:MetadataKey", "is empty (the default is geminihooks_token)");
        switch (binding.Mode)
        {
            case DynamicBindingMode.Quarantine or DynamicBindingMode.Reject when !binding.HasKeys:
                Fail("Dynamic:Binding:Keys", $"is empty with Dynamic:Binding:Mode {binding.Mode}: any Gemini customer could reach your handlers. " +
                    "Set a binding key (whsec_...), or Mode Confirm with Gemini:ApiKey, or Mode Off to accept every delivery Google signs");
                break;
            case DynamicBindingMode.Confirm:
                if (string.IsNullOrWhiteSpace(options.Gemini.ApiKey))
                    Fail("Gemini:ApiKey", "is empty but Dynamic:Binding:Mode is Confirm: set the Gemini API key deliveries are confirmed with");
                if (binding.ConfirmCacheTime < TimeSpan.Zero || binding.ConfirmCacheTime > TimeSpan.FromHours(1))
                    Fail("Dynamic:Binding:ConfirmCacheTime", $"must be between 00:00:00 and 01:00:00 (is {binding.ConfirmCacheTime})");
                if (binding.ConfirmTimeout <= TimeSpan.Zero || binding.ConfirmTimeout > TimeSpan.FromSeconds(30))
                    Fail("Dynamic:Binding:ConfirmTimeout", $"must be between 00:00:00.001 and 00:00:30 (is {binding.ConfirmTimeout})");
                break;
            case DynamicBindingMode.Quarantine or DynamicBindingMode.Reject or DynamicBindingMode.Off:
                break;
            default:
                Fail("Dynamic:Binding:Mode", "must be Quarantine, Reject, Confirm or Off");
                break;
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
