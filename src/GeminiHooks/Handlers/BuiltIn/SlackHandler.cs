using System.Net.Http.Headers;
using System.Text.Json;
using GeminiHooks.Events;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary><c>slack</c>: posts a one-line summary to a Slack incoming webhook.</summary>
sealed class SlackHandler(IHttpClientFactory httpClients, Uri url, TimeSpan timeout) : IGeminiEventHandler
{
    public async Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var message = new SlackMessage(Escape(EventText.Describe(@event)));
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(message, SlackJsonContext.Default.SlackMessage));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await HandlerHttp.SendAsync(httpClients, request, timeout, cancellationToken);
    }

    /// <summary>Slack reads &amp;, &lt; and &gt; as markup; event fields are data, not markup.</summary>
    internal static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);
}
