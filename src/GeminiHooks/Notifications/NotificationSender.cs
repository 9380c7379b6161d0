using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GeminiHooks.Configuration;
using GeminiHooks.Handlers.BuiltIn;
using GeminiHooks.Verification;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Notifications;

/// <summary>
/// Posts one message: to Slack as text, or over <c>http</c> as JSON signed per Standard Webhooks (<c>v1</c>) with
/// <c>Notify:Secret</c>, through the handlers' client (no redirects, no request logging: the URL is a credential).
/// The <c>webhook-id</c> is the first occurrence's, so a retried message keeps its id and the receiver can dedup it.
/// </summary>
internal sealed class NotificationSender(IHttpClientFactory httpClients, TimeProvider time, IOptionsMonitor<GeminiHooksOptions> options)
{
    public const string PayloadType = "geminihooks.notification";

    public async Task SendAsync(NotificationBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var settings = options.CurrentValue.Notify;
        var text = Text(batch);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.Url!));
        byte[] body;
        if (string.Equals(settings.Type, NotifyTypes.Slack, StringComparison.Ordinal))
            body = JsonSerializer.SerializeToUtf8Bytes(new SlackMessage(SlackHandler.Escape(text)), SlackJsonContext.Default.SlackMessage);
        else
        {
            body = JsonSerializer.SerializeToUtf8Bytes(new NotificationPayload(PayloadType, batch.Kind, batch.Count, batch.Subjects,
                batch.FirstAt, batch.LastAt, text), NotificationJsonContext.Default.NotificationPayload);
            var id = $"notify_{batch.Kind}_{batch.FirstId.ToString(CultureInfo.InvariantCulture)}";
            var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.TryAddWithoutValidation("webhook-id", id);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature",
                StandardWebhooks.SignV1(StandardWebhooks.DecodeSecret(settings.Secret!), id, timestamp, body));
        }
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await HandlerHttp.SendAsync(httpClients, request, settings.Timeout, cancellationToken);
    }

    /// <summary>"GeminiHooks: 100 dead letters (12:00:01–12:00:04 UTC): msg_1 (billing), msg_2 (billing), … and 98 more".</summary>
    internal static string Text(NotificationBatch batch)
    {
        var text = new StringBuilder("GeminiHooks: ").Append(NotificationKinds.Describe(batch.Kind, batch.Count));
        var first = batch.FirstAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        text.Append(batch.Count == 1 || batch.FirstAt == batch.LastAt
            ? $" ({first} UTC)"
            : $" ({first} to {batch.LastAt.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} UTC)");
        if (batch.Subjects.Count > 0)
            text.Append(": ").Append(string.Join(", ", batch.Subjects));
        if (batch.Count > batch.Subjects.Count && batch.Subjects.Count > 0)
            text.Append(CultureInfo.InvariantCulture, $", … {batch.Count - batch.Subjects.Count} more");
        return text.ToString();
    }
}
