namespace GeminiHooks.Storage;

/// <summary>
/// A verified delivery about to be stored. <see cref="Body"/> is the exact bytes that were verified.
/// A <see cref="Quarantined"/> delivery is stored without handler runs (<see cref="Handlers"/> is empty) until an
/// operator replays it.
/// </summary>
public sealed record IncomingDelivery(
    string Endpoint,
    string WebhookId,
    long Timestamp,
    DateTimeOffset ReceivedAt,
    string EventType,
    ReadOnlyMemory<byte> Body,
    IReadOnlyList<string> Handlers,
    bool Quarantined = false)
{
    /// <summary>
    /// Set for a terminal job event (see Reconciliation/JobNames): the accept records it as the job's outcome, or, when
    /// the job has one already, stores the delivery without handler runs.
    /// </summary>
    public Reconciliation.JobOutcome? Job { get; init; }

    /// <summary>The event status an accept stores.</summary>
    public string InitialStatus => Quarantined ? EventStatus.Quarantined : Handlers.Count == 0 ? EventStatus.Done : EventStatus.Pending;
}
