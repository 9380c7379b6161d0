using System.Net;
using GeminiHooks.Configuration;

namespace GeminiHooks.Handlers.BuiltIn;

static class HandlerHttp
{
    public const string ClientName = "GeminiHooks.Handlers";

    /// <summary>The URL is never echoed: a Slack URL is a credential, and an <c>http</c> one may carry a token.</summary>
    public static void ValidateUrlAndTimeout(string key, string type, HandlerOptions options, ICollection<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.Url))
            failures.Add($"{key}:Url is required for Type '{type}'");
        else if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) ||
                 (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            failures.Add($"{key}:Url is not an absolute http or https URL");
        if (options.Timeout <= TimeSpan.Zero)
            failures.Add($"{key}:Timeout must be positive");
    }

    /// <summary>
    /// Sends with a wall-clock timeout (a network wait is real time even when tests move the injected clock).
    /// Errors name the status or the timeout, never the URL: a Slack URL is a credential.
    /// </summary>
    public static async Task SendAsync(IHttpClientFactory httpClients, HttpRequestMessage request, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(ClientName);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutCts.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"POST to {request.RequestUri?.Host} got no answer within {timeout}", e);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode)
                return;
            var message = $"POST to {request.RequestUri?.Host} answered {(int)response.StatusCode} {response.ReasonPhrase}";
            var failure = new HttpRequestException(message, null, response.StatusCode);
            // Only the two statuses that mean "later" are honoured: a Retry-After on a 500 or a 400 says nothing
            // about when the request would succeed.
            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable &&
                RetryAfter(response) is { } wait)
                throw new RetryAfterException(wait, $"{message}, retry after {wait}", failure);
            throw failure;
        }
    }

    /// <summary>The wait a <c>Retry-After</c> header asks for (seconds, or an HTTP date measured against the answer's own
    /// <c>Date</c> when it has one, so the two clocks need not agree), or null without a readable header.</summary>
    static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
            return null;
        if (header.Delta is { } delta)
            return delta;
        if (header.Date is { } date)
        {
            var wait = date - (response.Headers.Date ?? DateTimeOffset.UtcNow);
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }
}
