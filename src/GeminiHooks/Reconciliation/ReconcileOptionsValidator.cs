using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Reconciliation;

/// <summary>
/// The Gemini API and reconciliation settings, checked at start only when reconciliation or the watchdog is on (the API client is not
/// needed otherwise). Each failure is one line naming the key; the API key's value never appears in one.
/// </summary>
sealed class ReconcileOptionsValidator : IValidateOptions<GeminiHooksOptions>
{
    const string S = GeminiHooksOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Reconcile.Enabled && !options.Watchdog.Enabled)
            return ValidateOptionsResult.Success;
        var failures = new List<string>();
        void Fail(string key, string message) => failures.Add($"{S}:{key}: {message}");

        var gemini = options.Gemini;
        if (!Uri.TryCreate(gemini.BaseUrl, UriKind.Absolute, out var baseUrl) ||
            (baseUrl.Scheme != Uri.UriSchemeHttps && !(baseUrl.Scheme == Uri.UriSchemeHttp && baseUrl.IsLoopback)))
            Fail("Gemini:BaseUrl", "must be an absolute https URL (plain http only for loopback addresses)");
        if (gemini.ApiVersion is not ("v1beta" or "v1"))
            Fail("Gemini:ApiVersion", $"must be v1beta or v1 (is '{gemini.ApiVersion}')");
        if (string.IsNullOrWhiteSpace(gemini.ApiKey) || gemini.ApiKey.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            Fail("Gemini:ApiKey", "is empty or holds whitespace: set the Gemini API key (reconciliation calls the Gemini API)");
        if (gemini.RequestBudgetPerMinute is < 1 or > 100_000)
            Fail("Gemini:RequestBudgetPerMinute", $"must be between 1 and 100000 (is {gemini.RequestBudgetPerMinute})");
        if (gemini.MaxRetries is < 0 or > 20)
            Fail("Gemini:MaxRetries", $"must be between 0 and 20 (is {gemini.MaxRetries})");
        if (gemini.RetryInitial <= TimeSpan.Zero || gemini.RetryMax < gemini.RetryInitial)
            Fail("Gemini:RetryInitial", "must be positive and not longer than Gemini:RetryMax");
        if (gemini.Timeout <= TimeSpan.Zero)
            Fail("Gemini:Timeout", "must be positive");

        var reconcile = options.Reconcile;
        if (reconcile.Grace < TimeSpan.Zero)
            Fail("Reconcile:Grace", "must not be negative");
        if (reconcile.PollInitial <= TimeSpan.Zero || reconcile.PollMax < reconcile.PollInitial)
            Fail("Reconcile:PollInitial", "must be positive and not longer than Reconcile:PollMax");
        if (reconcile.Tick <= TimeSpan.Zero)
            Fail("Reconcile:Tick", "must be positive");
        if (reconcile.MaxAgeBatch <= TimeSpan.Zero || reconcile.MaxAgeVideo <= TimeSpan.Zero || reconcile.MaxAgeInteraction <= TimeSpan.Zero)
            Fail("Reconcile:MaxAgeBatch", "MaxAgeBatch, MaxAgeVideo and MaxAgeInteraction must be positive");
        if (reconcile.DiscoverInterval <= TimeSpan.Zero)
            Fail("Reconcile:DiscoverInterval", "must be positive");
        if (options.Watchdog.Interval < TimeSpan.FromSeconds(1))
            Fail("Watchdog:Interval", "must be at least 00:00:01");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
