namespace GeminiHooks.Ingest;

/// <summary>
/// What the delivery path decided: the outcome, the refusal when there is one, and what is known of the delivery by
/// then (for the span, the log line and the metrics). <see cref="BindingFailure"/> is set for a verified dynamic
/// delivery without a valid binding token, whether it was quarantined or refused.
/// </summary>
readonly record struct IngestResult(
    DeliveryOutcome Outcome,
    Rejection? Rejection,
    string? WebhookId,
    string? EventType = null,
    string? BindingFailure = null)
{
    /// <summary>The HTTP status of the answer; 0 when the client went away and nothing is answered.</summary>
    public int Status => Rejection?.Status ?? (Outcome == DeliveryOutcome.Aborted ? 0 : 200);

    /// <summary>The stable code of logs and spans: the reason of a refusal, else the outcome's label.</summary>
    public string Reason => Rejection?.Reason ?? (Outcome == DeliveryOutcome.Aborted ? "client_aborted" : Outcome.Label());

    public static IngestResult Refused(Rejection rejection, string? webhookId = null, string? eventType = null, string? bindingFailure = null) =>
        new(rejection.Outcome, rejection, webhookId, eventType, bindingFailure);

    public static IngestResult Aborted(string? webhookId) => new(DeliveryOutcome.Aborted, null, webhookId);
}
