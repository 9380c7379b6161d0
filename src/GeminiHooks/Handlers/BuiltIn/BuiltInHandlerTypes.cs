namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>The <c>Type</c> values of configured handlers.</summary>
public static class BuiltInHandlerTypes
{
    public const string Log = "log";
    public const string Jsonl = "jsonl";
    public const string Http = "http";
    public const string Slack = "slack";

    public static IReadOnlyList<string> All { get; } = [Log, Jsonl, Http, Slack];

    internal static string List => string.Join(", ", All);
}
