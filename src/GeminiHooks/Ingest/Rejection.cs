using GeminiHooks.Binding;
using GeminiHooks.Events;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Ingest;

/// <summary>
/// Every refusal of the delivery path in one catalogue: the HTTP status, the stable reason code (the <c>outcome</c> of
/// logs, the <c>reason</c> label of <c>geminihooks.verification.failures</c>) and the sentence of the problem body.
/// Details are chosen here, never copied from the request.
/// </summary>
readonly record struct Rejection(int Status, string Reason, string Detail)
{
    public DeliveryOutcome Outcome => Status == StatusCodes.Status503ServiceUnavailable ? DeliveryOutcome.Unavailable : DeliveryOutcome.Rejected;

    // Headers

    public static Rejection MissingWebhookId { get; } = new(StatusCodes.Status400BadRequest, "missing_webhook_id",
        $"The webhook-id header is missing, repeated or longer than {DeliveryHeaders.MaxIdLength} characters.");

    public static Rejection WebhookIdNotPrintable { get; } = new(StatusCodes.Status400BadRequest, "webhook_id_not_printable",
        "The webhook-id header holds a character that is not printable ASCII (webhook_id_not_printable).");

    public static Rejection BadTimestamp { get; } = new(StatusCodes.Status400BadRequest, "bad_webhook_timestamp",
        "The webhook-timestamp header is missing or not Unix seconds.");

    public static Rejection MissingSignature { get; } = new(StatusCodes.Status400BadRequest, "missing_webhook_signature",
        "The webhook-signature header is missing or repeated.");

    public static Rejection SignatureTooLong(int maxLength) => new(StatusCodes.Status400BadRequest, "webhook_signature_too_long",
        $"The webhook-signature header is longer than {maxLength} characters (webhook_signature_too_long).");

    public static Rejection TimestampOutsideTolerance(TimeSpan tolerance) => new(StatusCodes.Status401Unauthorized, "timestamp_outside_tolerance",
        $"webhook-timestamp is more than {tolerance} away from the receiver's clock.");

    // Body

    public static Rejection BodyTooLarge(int maxBody) => new(StatusCodes.Status413PayloadTooLarge, "body_too_large",
        $"The body is larger than {maxBody} bytes.");

    public static Rejection BodyReadTimeout { get; } = new(StatusCodes.Status408RequestTimeout, "body_read_timeout",
        "The body arrived too slowly and the read timed out.");

    public static Rejection BodyUnreadable { get; } = new(StatusCodes.Status400BadRequest, "body_unreadable",
        "The body's framing is invalid and it cannot be read.");

    // Verification: the verifier's reason is a stable code naming the check that failed (never secret material), which
    // the sender's operator needs to tell a wrong audience from a wrong key.

    public static Rejection SignatureMalformed(string reason) => new(StatusCodes.Status400BadRequest, reason,
        $"The webhook-signature header, or what it covers, cannot be parsed ({reason}).");

    public static Rejection Unauthorized(string reason) => new(StatusCodes.Status401Unauthorized, reason,
        $"{FailureDetail.For(reason)} ({reason})");

    public static Rejection KeysUnavailable(string reason) => new(StatusCodes.Status503ServiceUnavailable, reason,
        "The signing keys cannot be fetched right now; retry later.");

    public static Rejection NotUnicode { get; } = new(StatusCodes.Status400BadRequest, "body_not_text",
        "The token or body holds a string that is not valid Unicode (invalid UTF-8 or an unpaired surrogate escape).");

    // Envelope

    public static Rejection Envelope(EnvelopeReader.Problem problem) => problem switch
    {
        EnvelopeReader.Problem.NotJson => new(StatusCodes.Status400BadRequest, "body_not_json", "The body is not JSON."),
        EnvelopeReader.Problem.NotObject => new(StatusCodes.Status400BadRequest, "body_not_object", "The body is not a JSON object."),
        EnvelopeReader.Problem.NotText => new(StatusCodes.Status400BadRequest, "body_not_text",
            "The body holds a string that is not valid Unicode (invalid UTF-8 or an unpaired surrogate escape)."),
        _ => new(StatusCodes.Status400BadRequest, "body_without_type",
            $"The body has no string \"type\" (of at most {EnvelopeReader.MaxTypeLength} characters, without control characters)."),
    };

    // Binding

    /// <summary>A dynamic delivery the binder refused (403), or could not decide on for now (503).</summary>
    public static Rejection Unbound(BindingDecision decision) => new(
        decision.Verdict == BindingVerdict.Unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status403Forbidden,
        decision.Reason!, decision.Detail!);

    // Store

    public static Rejection StoreUnavailable { get; } = new(StatusCodes.Status503ServiceUnavailable, "store_unavailable",
        "The event store cannot be reached; retry later.");

    /// <summary>
    /// A verified delivery the store cannot hold as it is (a key it cannot represent): a retry cannot help, so not a
    /// 503; it fails alone, never the batch it was committed with.
    /// </summary>
    public static Rejection StoreRejected { get; } = new(StatusCodes.Status422UnprocessableEntity, "store_rejected",
        "The event store cannot represent this delivery (its webhook-id or endpoint); sending it again will not help.");
}
