using System.Globalization;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Ingest;

/// <summary>
/// The first step of a delivery: everything decided from the request line and headers alone, before a byte of the body
/// is read — the announced size, the three Standard Webhooks headers, and the timestamp window.
/// </summary>
static class DeliveryHeaders
{
    public const int MaxIdLength = 256;
    const int MaxTimestampLength = 20;

    /// <summary>
    /// A <c>webhook-signature</c> of Standard Webhooks entries: 1 KiB holds about twenty <c>v1</c> (47 characters) or ten
    /// <c>v1a</c> (92) entries, several times what a rotation needs, and only <c>StandardWebhooks.MaxEntriesPerScheme</c>
    /// entries per scheme are tried anyway.
    /// </summary>
    public const int MaxSignatureLength = 1024;

    /// <summary>
    /// A dynamic <c>webhook-signature</c> that is one JWT (no space, no comma): an RS256 token whose claims carry the
    /// event, signed with a 4096-bit key, does not fit in 1 KiB; it costs one RSA check whatever its length.
    /// </summary>
    public const int MaxJwtLength = 8 * 1024;

    /// <summary>
    /// Null when the headers allow reading the body; otherwise the refusal. <paramref name="headers"/> holds what was
    /// read so far (the webhook-id once it is known, for the log line).
    /// </summary>
    public static Rejection? Check(HttpRequest request, bool dynamic, int maxBody, TimeSpan tolerance, long now, out WebhookHeaders headers)
    {
        headers = default;
        if (request.ContentLength > maxBody)
            return Rejection.BodyTooLarge(maxBody);
        if (!TryGetHeader(request, "webhook-id", MaxIdLength, out var webhookId))
            return Rejection.MissingWebhookId;
        // Ids are logged, stored and shown by the operator API: a control character (an ESC starting a terminal
        // sequence) or text that is not ASCII has no place in one.
        if (webhookId.AsSpan().ContainsAnyExceptInRange((char)0x20, (char)0x7E))
            return Rejection.WebhookIdNotPrintable;
        headers = new WebhookHeaders(webhookId, "", 0, "");
        if (!TryGetHeader(request, "webhook-timestamp", MaxTimestampLength, out var timestampText) ||
            !long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
            return Rejection.BadTimestamp;
        if (!TryGetHeader(request, "webhook-signature", int.MaxValue, out var signature))
            return Rejection.MissingSignature;
        if (signature.Length > MaxSignatureLength && !(dynamic && signature.Length <= MaxJwtLength && IsOneToken(signature)))
            return Rejection.SignatureTooLong(dynamic && IsOneToken(signature) ? MaxJwtLength : MaxSignatureLength);
        headers = new WebhookHeaders(webhookId, timestampText, timestamp, signature);
        // Before the body: a stale or future delivery costs no read, whatever it announces.
        if (Math.Abs(now - timestamp) > (long)tolerance.TotalSeconds)
            return Rejection.TimestampOutsideTolerance(tolerance);
        return null;
    }

    static bool IsOneToken(string signature) => signature.AsSpan().IndexOfAny(' ', ',') < 0;

    static bool TryGetHeader(HttpRequest request, string name, int maxLength, out string value)
    {
        value = "";
        if (!request.Headers.TryGetValue(name, out var values) || values.Count != 1)
            return false;
        value = values[0]!.Trim();
        return value.Length > 0 && value.Length <= maxLength;
    }
}
