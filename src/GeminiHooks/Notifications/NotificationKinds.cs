namespace GeminiHooks.Notifications;

/// <summary>What a notification can be about: the names <c>Notify:Events</c> takes and messages carry.</summary>
internal static class NotificationKinds
{
    /// <summary>An (event, handler) pair ran out of attempts (recorded by the store, in the transaction that dead-letters it).</summary>
    public const string DeadLetter = "dead_letter";

    /// <summary>A handler's circuit opened after failed runs in a row (recorded by the store with the transition).</summary>
    public const string CircuitOpen = "circuit_open";

    /// <summary>A handler's circuit closed again: a probe (or a run in flight) succeeded.</summary>
    public const string CircuitClosed = "circuit_closed";

    /// <summary>The watchdog found a webhook disabled at Gemini (after failed deliveries, or by hand).</summary>
    public const string WebhookDisabled = "webhook_disabled";

    /// <summary>A job's terminal delivery disagreed with its first terminal event (recorded by the store with the follower).</summary>
    public const string ReconcileConflict = "reconcile_conflict";

    /// <summary>The oldest pending event grew older than <c>Notify:BacklogAge</c>.</summary>
    public const string BacklogAge = "backlog_age";

    public static readonly IReadOnlyList<string> All =
        [DeadLetter, CircuitOpen, CircuitClosed, WebhookDisabled, ReconcileConflict, BacklogAge];

    /// <summary>The words a message uses for <paramref name="count"/> occurrences of <paramref name="kind"/>.</summary>
    public static string Describe(string kind, long count) => kind switch
    {
        DeadLetter => count == 1 ? "1 dead letter" : $"{count} dead letters",
        CircuitOpen => count == 1 ? "1 handler circuit opened" : $"{count} handler circuits opened",
        CircuitClosed => count == 1 ? "1 handler circuit closed" : $"{count} handler circuits closed",
        WebhookDisabled => count == 1 ? "1 webhook disabled at Gemini" : $"{count} webhooks disabled at Gemini",
        ReconcileConflict => count == 1 ? "1 reconcile conflict" : $"{count} reconcile conflicts",
        BacklogAge => "the oldest pending event is older than the backlog threshold",
        _ => $"{count} × {kind}",
    };
}
