using GeminiHooks.Configuration;
using GeminiHooks.Verification;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>The <c>Type</c> values of the handlers that come with the core library.</summary>
public static class BuiltInHandlerTypes
{
    public const string Log = "log";
    public const string Jsonl = "jsonl";
    public const string Http = "http";
    public const string Slack = "slack";
}

sealed class LogHandlerType(ILoggerFactory loggers) : IConfiguredHandlerType
{
    public string Name => BuiltInHandlerTypes.Log;

    public void Validate(string key, HandlerOptions options, ICollection<string> failures) { }

    public IGeminiEventHandler Create(string name, HandlerOptions options) =>
        new LogHandler(name, loggers.CreateLogger("GeminiHooks.Handlers.Log"));
}

sealed class JsonlHandlerType(JsonlFiles files) : IConfiguredHandlerType
{
    public string Name => BuiltInHandlerTypes.Jsonl;

    public void Validate(string key, HandlerOptions options, ICollection<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.Path))
            failures.Add($"{key}:Path is required for Type 'jsonl'");
    }

    public IGeminiEventHandler Create(string name, HandlerOptions options) => new JsonlHandler(files, options.Path!);
}

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

/// <summary><c>slack</c>: the URL is the credential, so it is never echoed.</summary>
sealed class SlackHandlerType(IHttpClientFactory httpClients) : IConfiguredHandlerType
{
    public string Name => BuiltInHandlerTypes.Slack;

    public void Validate(string key, HandlerOptions options, ICollection<string> failures) =>
        HandlerHttp.ValidateUrlAndTimeout(key, Name, options, failures);

    public IGeminiEventHandler Create(string name, HandlerOptions options) =>
        new SlackHandler(httpClients, new Uri(options.Url!), options.Timeout);
}
