using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Handlers;

/// <summary>
/// Validates <c>GeminiHooks:Handlers</c> at start (and on reload): a typo in a handler would otherwise drop events
/// silently, so each problem stops the start with one line naming the key. What a type's own settings must be is
/// the type's business (<see cref="IConfiguredHandlerType.Validate"/>); this checks what all handlers share.
/// </summary>
sealed class HandlerOptionsValidator(IEnumerable<CodeHandlerRegistration> codeHandlers, ConfiguredHandlerTypes types)
    : IValidateOptions<GeminiHooksOptions>
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
                failures.Add($"{key}:Type is required (one of {types.List})");
                continue;
            }
            if (codeNames.Contains(handlerName))
                failures.Add($"{key} has the name of a handler registered in code; rename one of them");
            var type = types.Find(handler.Type);
            if (string.IsNullOrWhiteSpace(handler.Type))
                failures.Add($"{key}:Type is required (one of {types.List})");
            else if (type is null)
                failures.Add($"{key}:Type '{handler.Type}' is unknown (one of {types.List})");
            for (var i = 0; i < handler.Events.Count; i++)
            {
                if (!EventPattern.IsValid(handler.Events[i]))
                    failures.Add($"{key}:Events:{i} '{handler.Events[i]}' is not a valid pattern " +
                                 "(an exact type such as batch.succeeded, a prefix such as batch.*, or *)");
            }
            type?.Validate(key, handler, failures);
            Dispatch.HandlerFlow.Validate(key, handler, options.Dispatch, failures);
        }
        // Code handlers have no configuration key: the message names the registration instead.
        foreach (var code in codeHandlers.OrderBy(c => c.Name, StringComparer.Ordinal))
            Dispatch.HandlerFlow.Validate($"AddHandler(\"{code.Name}\")", code.Flow, options.Dispatch, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
