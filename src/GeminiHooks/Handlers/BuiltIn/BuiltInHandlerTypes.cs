namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>The <c>Type</c> values of the handlers that come with the core library.</summary>
public static class BuiltInHandlerTypes
{
    public const string Log = "log";
    public const string Jsonl = "jsonl";
    public const string Http = "http";
    public const string Slack = "slack";
}
