using GeminiHooks.Handlers.BuiltIn;
using GeminiHooks.Configuration;
using GeminiHooks.Verification;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Handlers;

/// <summary>
/// Validates <c>GeminiHooks:Handlers</c> at start (and on reload): a typo in a handler would otherwise drop events
/// silently, so each problem stops the start with one line naming the key. Values are never echoed for
/// <c>Url</c> and <c>Secret</c>, which carry credentials (a Slack webhook URL is one).
/// </summary>
sealed class HandlerOptionsValidator(IEnumerable<CodeHandlerRegistration> codeHandlers) : IValidateOptions<GeminiHooksOptions>
{
    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var codeNames = codeHandlers.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (handlerName, handler) in options.Handlers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            var key = $"{GeminiHooksOptions.SectionName}:Handlers:{handlerName}";
            if (handler is null)
            {
                failures.Add($"{key}:Type is required (one of {BuiltInHandlerTypes.List})");
                continue;
            }
            if (codeNames.Contains(handlerName))
                failures.Add($"{key} has the name of a handler registered in code; rename one of them");
            if (string.IsNullOrWhiteSpace(handler.Type))
                failures.Add($"{key}:Type is required (one of {BuiltInHandlerTypes.List})");
            else if (!BuiltInHandlerTypes.All.Contains(handler.Type, StringComparer.OrdinalIgnoreCase))
                failures.Add($"{key}:Type '{handler.Type}' is unknown (one of {BuiltInHandlerTypes.List})");
            for (var i = 0; i < handler.Events.Count; i++)
            {
                if (!EventPattern.IsValid(handler.Events[i]))
                    failures.Add($"{key}:Events:{i} '{handler.Events[i]}' is not a valid pattern " +
                                 "(an exact type such as batch.succeeded, a prefix such as batch.*, or *)");
            }
            var type = handler.Type?.ToLowerInvariant();
            switch (type)
            {
                case BuiltInHandlerTypes.Jsonl:
                    if (string.IsNullOrWhiteSpace(handler.Path))
                        failures.Add($"{key}:Path is required for Type 'jsonl'");
                    break;
                case BuiltInHandlerTypes.Http or BuiltInHandlerTypes.Slack:
                    if (string.IsNullOrWhiteSpace(handler.Url))
                        failures.Add($"{key}:Url is required for Type '{type}'");
                    else if (!Uri.TryCreate(handler.Url, UriKind.Absolute, out var url) ||
                             (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                        failures.Add($"{key}:Url is not an absolute http or https URL");
                    if (handler.Timeout <= TimeSpan.Zero)
                        failures.Add($"{key}:Timeout must be positive");
                    if (type == BuiltInHandlerTypes.Http)
                    {
                        if (string.IsNullOrWhiteSpace(handler.Secret))
                            failures.Add($"{key}:Secret is required for Type 'http'");
                        else
                        {
                            try { StandardWebhooks.DecodeSecret(handler.Secret); }
                            catch (FormatException e) { failures.Add($"{key}:Secret is invalid: {e.Message}"); }
                        }
                    }
                    break;
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
