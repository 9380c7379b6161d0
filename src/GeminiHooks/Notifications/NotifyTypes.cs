namespace GeminiHooks.Notifications;

/// <summary>Where <c>Notify</c> messages go: <c>slack</c> (an incoming webhook) or <c>http</c> (signed JSON).</summary>
internal static class NotifyTypes
{
    public const string Slack = "slack";
    public const string Http = "http";
}
