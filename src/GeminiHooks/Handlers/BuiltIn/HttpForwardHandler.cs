using System.Globalization;
using System.Net.Http.Headers;
using GeminiHooks.Events;
using GeminiHooks.Verification;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>
/// <c>http</c>: forwards the original bytes, re-signed per Standard Webhooks with this handler's own secret, so the
/// downstream verifies us rather than Gemini. The <c>webhook-id</c> stays Gemini's, so the downstream can dedup
/// our retries and replays with the same key; the timestamp is now, as a fresh signature must be. With
/// <c>Format: cloudevents</c> the body is the CloudEvent instead, signed the same way.
/// </summary>
sealed class HttpForwardHandler(IHttpClientFactory httpClients, TimeProvider time, Uri url, byte[] key, TimeSpan timeout,
    EventPayload payload) : IGeminiEventHandler
{
    public async Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        var body = payload.Write(@event);
        request.Content = new ReadOnlyMemoryContent(body);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(payload.ContentType);
        request.Headers.TryAddWithoutValidation("webhook-id", @event.Delivery.WebhookId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature",
            StandardWebhooks.SignV1(key, @event.Delivery.WebhookId, timestamp, body.Span));
        await HandlerHttp.SendAsync(httpClients, request, timeout, cancellationToken);
    }
}
