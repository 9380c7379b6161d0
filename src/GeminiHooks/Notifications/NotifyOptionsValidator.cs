using GeminiHooks.Configuration;
using GeminiHooks.Verification;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Notifications;

/// <summary>
/// The <c>Notify</c> settings, checked at start when notifications are on (<c>Type</c> set): one line per problem naming
/// the key. <c>Url</c> and <c>Secret</c> are never echoed: a Slack URL is a credential, a secret is one.
/// </summary>
sealed class NotifyOptionsValidator : IValidateOptions<GeminiHooksOptions>
{
    const string S = GeminiHooksOptions.SectionName + ":Notify";

    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var notify = options.Notify;
        if (string.IsNullOrEmpty(notify.Type))
            return ValidateOptionsResult.Success;
        var failures = new List<string>();
        void Fail(string key, string message) => failures.Add($"{S}:{key}: {message}");

        if (notify.Type is not (NotifyTypes.Slack or NotifyTypes.Http))
            Fail("Type", $"'{notify.Type}' is not a notification type (slack or http; empty: no notifications)");
        if (string.IsNullOrWhiteSpace(notify.Url))
            Fail("Url", "is required when Notify:Type is set");
        else if (!Uri.TryCreate(notify.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            Fail("Url", "is not an absolute http or https URL");
        if (notify.Type == NotifyTypes.Http)
        {
            if (string.IsNullOrWhiteSpace(notify.Secret))
                Fail("Secret", "is required for Type 'http' (a whsec_<base64> secret the messages are signed with)");
            else
            {
                try { StandardWebhooks.DecodeSecret(notify.Secret); }
                catch (FormatException e) { Fail("Secret", $"is invalid: {e.Message}"); }
            }
        }
        for (var i = 0; i < notify.Events.Count; i++)
        {
            if (!NotificationKinds.All.Contains(notify.Events[i], StringComparer.Ordinal))
                Fail($"Events:{i}", $"'{notify.Events[i]}' is not a notification kind (one of {string.Join(", ", NotificationKinds.All)})");
        }
        if (notify.MinInterval < TimeSpan.FromSeconds(1) || notify.MinInterval > TimeSpan.FromDays(1))
            Fail("MinInterval", $"must be between 00:00:01 and 1.00:00:00 (is {notify.MinInterval})");
        if (notify.BacklogAge < TimeSpan.FromSeconds(1))
            Fail("BacklogAge", $"must be at least 00:00:01 (is {notify.BacklogAge})");
        if (notify.Timeout <= TimeSpan.Zero)
            Fail("Timeout", "must be positive");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
