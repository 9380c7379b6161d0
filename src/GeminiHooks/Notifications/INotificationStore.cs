namespace GeminiHooks.Notifications;

/// <summary>
/// Notification occurrences and the send state of each kind, kept by the event store so they survive a restart and every
/// replica sees one schedule. Dead letters, circuit transitions and reconcile conflicts are recorded by the store itself,
/// in the transaction that makes them; conditions (a disabled webhook, an old backlog) through <see cref="SetConditionsAsync"/>.
/// </summary>
internal interface INotificationStore
{
    /// <summary>
    /// Makes <paramref name="active"/> (condition key → the subject a message names) the conditions of
    /// <paramref name="kind"/> that hold now: each one not held before is recorded as an occurrence, once; each held
    /// before and absent now is forgotten (it may be raised again later). Answers how many were raised.
    /// </summary>
    Task<int> SetConditionsAsync(string kind, IReadOnlyDictionary<string, string> active, CancellationToken cancellationToken);

    /// <summary>
    /// Takes the turn to send <paramref name="kind"/> when it is due: unsent occurrences of which the first is at least
    /// <paramref name="minInterval"/> old, the last message at least that long ago, no retry waiting, and no other
    /// process holding the turn. The turn is held for <paramref name="lease"/>; null when not due.
    /// </summary>
    Task<NotificationBatch?> TakeNotificationAsync(string kind, string owner, TimeSpan minInterval, TimeSpan lease, int sampleSize,
        CancellationToken cancellationToken);

    /// <summary>Records the message as delivered: its occurrences are done (and deleted), the interval starts now.</summary>
    Task NotificationSentAsync(NotificationBatch batch, string owner, CancellationToken cancellationToken);

    /// <summary>Records a failed send: the same occurrences (and any new ones) are tried again at <paramref name="retryAt"/>.</summary>
    Task NotificationFailedAsync(NotificationBatch batch, string owner, DateTimeOffset retryAt, CancellationToken cancellationToken);

    /// <summary>The oldest event not yet done by every handler: its webhook id and when it was received; null with none.</summary>
    Task<(string WebhookId, DateTimeOffset ReceivedAt)?> OldestPendingAsync(CancellationToken cancellationToken);

    /// <summary>Deletes occurrences older than <paramref name="before"/> of kinds not in <paramref name="notified"/> (nobody will send them).</summary>
    Task<int> PruneNotificationsAsync(IReadOnlyCollection<string> notified, DateTimeOffset before, CancellationToken cancellationToken);
}
