using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Verification;

/// <summary>
/// Every <c>whsec_</c> key the receiver holds must decode, at start and on reload: a typo in a static secret would
/// make every delivery a 401, one in a binding key would quarantine every dynamic delivery.
/// </summary>
sealed class SecretsValidator : IValidateOptions<GeminiHooksOptions>
{
    const string S = GeminiHooksOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Static.Enabled)
            Check(options.Static.Secrets, $"{S}:Static:Secrets", "", failures);
        if (options.Dynamic.Enabled)
            Check(options.Dynamic.Binding.Keys, $"{S}:Dynamic:Binding:Keys", " (generate one with: geminihooks keys secret)", failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    static void Check(List<string> secrets, string key, string hint, List<string> failures)
    {
        for (var i = 0; i < secrets.Count; i++)
        {
            try { StandardWebhooks.DecodeSecret(secrets[i]); }
            catch (FormatException e) { failures.Add($"{key}:{i}: {e.Message}{hint}"); }
        }
    }
}
