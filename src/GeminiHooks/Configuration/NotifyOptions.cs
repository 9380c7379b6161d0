namespace GeminiHooks.Configuration;

/// <summary>
/// The <c>GeminiHooks:Notify</c> section: a message to a person (Slack, or a signed HTTP POST) when something needs one,
/// for operators without Prometheus. Off while <see cref="Type"/> is empty. See docs/handlers.md, "Notifications".
/// </summary>
public sealed class NotifyOptions
{
    /// <summary><c>slack</c> (an incoming-webhook URL) or <c>http</c> (a JSON POST signed per Standard Webhooks); empty: off.</summary>
    public string Type { get; set; } = "";

    /// <summary>Where messages are posted. A credential (a Slack URL is one): never logged.</summary>
    public string? Url { get; set; }

    /// <summary><c>http</c>: the <c>whsec_&lt;base64&gt;</c> secret each message is signed with (<c>v1</c> HMAC).</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// The kinds to notify: <c>dead_letter</c>, <c>circuit_open</c>, <c>circuit_closed</c>, <c>webhook_disabled</c>,
    /// <c>reconcile_conflict</c>, <c>backlog_age</c>; empty: all of them.
    /// </summary>
    public List<string> Events { get; set; } = [];

    /// <summary>Occurrences of one kind are gathered this long, from the first, into one message; at most one message per kind per interval.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><c>backlog_age</c>: raised once when the oldest pending event is older than this, again only after the backlog caught up.</summary>
    public TimeSpan BacklogAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Timeout of one POST.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
