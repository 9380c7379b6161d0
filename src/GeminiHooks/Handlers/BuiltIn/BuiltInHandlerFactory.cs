using GeminiHooks.Configuration;
using GeminiHooks.Verification;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>Builds the configured handlers; rebuilt on every options reload, so instances hold no state of their own.</summary>
sealed class BuiltInHandlerFactory(IHttpClientFactory httpClients, JsonlFiles jsonlFiles, TimeProvider time, ILoggerFactory loggers)
{
    public const string HttpClientName = "GeminiHooks.Handlers";

    /// <exception cref="InvalidOperationException">The settings are invalid (start-up validation normally catches this first).</exception>
    public IGeminiEventHandler Create(string name, HandlerOptions options) => options.Type.ToLowerInvariant() switch
    {
        BuiltInHandlerTypes.Log => new LogHandler(name, loggers.CreateLogger("GeminiHooks.Handlers.Log")),
        BuiltInHandlerTypes.Jsonl => new JsonlHandler(jsonlFiles, Require(name, "Path", options.Path)),
        BuiltInHandlerTypes.Http => new HttpForwardHandler(httpClients, time, new Uri(Require(name, "Url", options.Url)),
            DecodeSecret(name, Require(name, "Secret", options.Secret)), options.Timeout),
        BuiltInHandlerTypes.Slack => new SlackHandler(httpClients, new Uri(Require(name, "Url", options.Url)), options.Timeout),
        _ => throw new InvalidOperationException(
            $"{GeminiHooksOptions.SectionName}:Handlers:{name}:Type '{options.Type}' is unknown (one of {BuiltInHandlerTypes.List})"),
    };

    static string Require(string name, string key, string? value) => string.IsNullOrWhiteSpace(value)
        ? throw new InvalidOperationException($"{GeminiHooksOptions.SectionName}:Handlers:{name}:{key} is required")
        : value;

    static byte[] DecodeSecret(string name, string secret)
    {
        try { return StandardWebhooks.DecodeSecret(secret); }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"{GeminiHooksOptions.SectionName}:Handlers:{name}:Secret is invalid: {e.Message}", e);
        }
    }
}
