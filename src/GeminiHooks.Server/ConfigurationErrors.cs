using Microsoft.Extensions.Options;

namespace GeminiHooks.Server;

/// <summary>
/// An operator's typo ends the start with one line per bad key and exit code 2, never a stack trace. Start-up
/// validation of several options types reports several exceptions at once (an <see cref="AggregateException"/>).
/// </summary>
static class ConfigurationErrors
{
    public static bool TryReport(Exception exception)
    {
        var failures = Failures(exception).ToList();
        if (failures.Count == 0)
            return false;
        foreach (var failure in failures)
            Console.Error.WriteLine("Configuration error: " + failure);
        return true;
    }

    static IEnumerable<string> Failures(Exception exception) => exception switch
    {
        OptionsValidationException validation => validation.Failures,
        AggregateException aggregate when aggregate.InnerExceptions.All(e => e is OptionsValidationException) =>
            aggregate.InnerExceptions.SelectMany(Failures),
        _ => [],
    };
}
