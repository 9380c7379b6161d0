using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>
/// Takes the cross-process lock of every configured <c>jsonl</c> file when the settings are validated (at start, and
/// on a reload that names a new path), so a second process on the same file stops at start with one line naming the
/// key instead of writing lines at its own file position and keeping its own "written once" index.
/// </summary>
sealed class JsonlFileLockValidator(JsonlFiles files) : IValidateOptions<GeminiHooksOptions>
{
    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        var failures = new List<string>();
        foreach (var (handler, configured) in options.Handlers)
        {
            if (!string.Equals(configured.Type, BuiltInHandlerTypes.Jsonl, StringComparison.OrdinalIgnoreCase) ||
                string.IsNullOrWhiteSpace(configured.Path))
                continue; // a missing Path is reported by the handler validator
            if (files.TryLock(configured.Path) is { } problem)
                failures.Add($"{GeminiHooksOptions.SectionName}:Handlers:{handler}:Path: {problem}");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
