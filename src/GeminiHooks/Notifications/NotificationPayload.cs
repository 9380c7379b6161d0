namespace GeminiHooks.Notifications;

/// <summary>
/// The JSON body of an <c>http</c> notification: what happened (<see cref="Kind"/>), how often, the first few subjects,
/// the time span, and the same sentence a Slack message shows.
/// </summary>
internal sealed record NotificationPayload(string Type, string Kind, long Count, IReadOnlyList<string> Subjects,
    DateTimeOffset FirstAt, DateTimeOffset LastAt, string Text);
