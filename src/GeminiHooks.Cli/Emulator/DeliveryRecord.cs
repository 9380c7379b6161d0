namespace GeminiHooks.Cli.Emulator;

/// <summary>One delivery (one webhook-id) and its attempts, as <c>GET /emulator/deliveries</c> shows it.</summary>
internal sealed class DeliveryRecord
{
    readonly Lock _lock = new();
    readonly List<AttemptRecord> _attempts = [];

    public required string Id { get; init; }
    public required string Type { get; init; }
    public required string Uri { get; init; }
    /// <summary>The registered webhook's id for static deliveries; null for ad-hoc dynamic ones.</summary>
    public string? Webhook { get; init; }
    public required string Format { get; init; }
    public string State { get; private set; } = "pending";

    /// <summary>When the next retry is due (RFC 3339), while one is scheduled.</summary>
    public string? NextAttemptTime { get; private set; }

    public IReadOnlyList<AttemptRecord> Attempts { get { lock (_lock) return [.. _attempts]; } }

    public void AddAttempt(AttemptRecord attempt) { lock (_lock) _attempts.Add(attempt); }
    public void ScheduleRetry(string? time) { lock (_lock) NextAttemptTime = time; }
    public void Finish(string state) { lock (_lock) { State = state; NextAttemptTime = null; } }
}
