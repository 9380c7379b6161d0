using GeminiHooks.Configuration;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary><c>slack</c>: the URL is the credential, so it is never echoed.</summary>
sealed class SlackHandlerType(IHttpClientFactory httpClients) : IConfiguredHandlerType
{
    public string Name => BuiltInHandlerTypes.Slack;

    public void Validate(string key, HandlerOptions options, ICollection<string> failures) =>
        HandlerHttp.ValidateUrlAndTimeout(key, Name, options, failures);

    public IGeminiEventHandler Create(string name, HandlerOptions options) =>
        new SlackHandler(httpClients, new Uri(options.Url!), options.Timeout);
}
