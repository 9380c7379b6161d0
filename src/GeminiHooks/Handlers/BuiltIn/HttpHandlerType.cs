using GeminiHooks.Configuration;
using GeminiHooks.Verification;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>
/// <c>http</c>. Validation never echoes <c>Url</c> or <c>Secret</c>: both can carry credentials.
/// </summary>
sealed class HttpHandlerType(IHttpClientFactory httpClients, TimeProvider time) : IConfiguredHandlerType
{
    public string Name => BuiltInHandlerTypes.Http;

    public void Validate(string key, HandlerOptions options, ICollection<string> failures)
    {
        HandlerHttp.ValidateUrlAndTimeout(key, Name, options, failures);
        if (string.IsNullOrWhiteSpace(options.Secret))
            failures.Add($"{key}:Secret is required for Type 'http'");
        else
        {
            try { StandardWebhooks.DecodeSecret(options.Secret); }
            catch (FormatException e) { failures.Add($"{key}:Secret is invalid: {e.Message}"); }
        }
        EventPayload.Validate(key, options, failures);
    }

    public IGeminiEventHandler Create(string name, HandlerOptions options) =>
        new HttpForwardHandler(httpClients, time, new Uri(options.Url!), StandardWebhooks.DecodeSecret(options.Secret!),
            options.Timeout, EventPayload.For(options));
}
