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
    internal const int MaxSignatureLength = 16 * 1024;

    /// <summary>
    /// Null when the headers allow reading the body; otherwise the refusal. <paramref name="headers"/> holds what was
    /// read so far (the webhook-id once it is known, for the log line).
    /// </summary>
    public static Rejection? Check(HttpRequest request, int maxBody, TimeSpan tolerance, long now, out WebhookHeaders headers)
    {
        headers = default;
        if (request.ContentLength > maxBody)
            return Rejection.BodyTooLarge(maxBody);
        if (!TryGetHeader(request, "webhook-id", MaxIdLength, out var webhookId))
            return Rejection.MissingWebhookId;
        headers = new WebhookHeaders(webhookId, "", 0, "");
        if (!TryGetHeader(request, "webhook-timestamp", MaxTimestampLength, out var timestampText) ||
            !long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
            return Rejection.BadTimestamp;
        if (!TryGetHeader(request, "webhook-signature", MaxSignatureLength, out var signature))
            return Rejection.MissingSignature;
        headers = new WebhookHeaders(webhookId, timestampText, timestamp, signature);
        // Before the body: a stale or future delivery costs no read, whatever it announces.
        if (Math.Abs(now - timestamp) > (long)tolerance.TotalSeconds)
            return Rejection.TimestampOutsideTolerance(tolerance);
        return null;
    }

    static bool TryGetHeader(HttpRequest request, string name, int maxLength, out string value)
    {
        value = "";
        if (!request.Headers.TryGetValue(name, out var values) || values.Count != 1)
            return false;
        value = values[0]!.Trim();
        return value.Length > 0 && value.Length <= maxLength;
    }
}
