namespace GeminiHooks.Hosting;

/// <summary>
/// The primary handler of every outbound client (JWKS, Gemini API, <c>http</c>/<c>slack</c> handlers): redirects are
/// not followed. A redirect would carry the request (and its <c>x-goog-api-key</c> or signed payload) to a host the
/// operator never configured; a 3xx is an answer like any other non-2xx, reported as a failure.
/// </summary>
static class OutboundHttpHandler
{
    public static HttpMessageHandler Create() => new SocketsHttpHandler { AllowAutoRedirect = false };
}
