using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Gemini;

/// <summary>
/// A small client for the Gemini API calls reconciliation and the watchdog make: GETs of job resources and of the
/// webhooks list. Retries 408, 409, 429, 5xx and network failures with exponential backoff and jitter, honouring
/// Retry-After, as the official SDKs do; every request (each retry too) is paid from a per-minute budget, so an API in
/// trouble is never hammered. The API key goes in a header and is never logged: log lines name only the path.
/// </summary>
internal sealed partial class GeminiApiClient(HttpClient http, IOptionsMonitor<GeminiHooksOptions> options, TimeProvider time,
    Observability.ReconcileMetrics metrics, ILogger<GeminiApiClient> logger)
{
    public const string HttpClientName = "GeminiHooks.Gemini";

    readonly Lock _budgetGate = new();
    long _windowStart = long.MinValue;
    int _spent;

    /// <summary>Requests made so far (each retry counts), for the operator API and the closing note in the docs.</summary>
    public long Requests => Interlocked.Read(ref _requests);
    long _requests;

    /// <summary>
    /// GET <c>{BaseUrl}/{ApiVersion}/{path}</c>. Returns the last answer (after retries), or <see cref="GeminiResponse.None"/>
    /// when the budget is spent or the network failed on every try.
    /// </summary>
    public Task<GeminiResponse> GetAsync(string path, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Gemini;
        return GetAsync(path, settings.MaxRetries, settings.Timeout, cancellationToken);
    }

    /// <summary>
    /// One GET, no retry, within <paramref name="timeout"/>: for a caller that has a client waiting (a delivery being
    /// confirmed), whose own sender retries.
    /// </summary>
    public Task<GeminiResponse> GetOnceAsync(string path, TimeSpan timeout, CancellationToken cancellationToken) =>
        GetAsync(path, 0, timeout, cancellationToken);

    async Task<GeminiResponse> GetAsync(string path, int maxRetries, TimeSpan requestTimeout, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Gemini;
        var uri = new Uri($"{settings.BaseUrl.TrimEnd('/')}/{settings.ApiVersion}/{path}");
        var delay = settings.RetryInitial;
        for (var attempt = 0; ; attempt++)
        {
            if (!TryTakeBudget(settings.RequestBudgetPerMinute))
            {
                LogBudgetSpent(logger, path, settings.RequestBudgetPerMinute);
                return GeminiResponse.None;
            }
            TimeSpan? retryAfter = null;
            GeminiResponse answer;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                request.Headers.TryAddWithoutValidation("x-goog-api-key", settings.ApiKey);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(requestTimeout);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                Interlocked.Increment(ref _requests);
                var status = (int)response.StatusCode;
                metrics.GeminiRequest(status);
                retryAfter = RetryAfter(response);
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                answer = new GeminiResponse(status, Parse(text));
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _requests);
                metrics.GeminiRequest(0);
                LogNetworkFailure(logger, path, e.GetType().Name);
                answer = GeminiResponse.None;
            }
            if (!IsRetryable(answer.Status) || attempt >= maxRetries)
                return answer;
            var wait = Jitter(delay);
            if (retryAfter is { } after && after > wait)
                wait = after;
            if (wait > settings.RetryMax)
                wait = settings.RetryMax;
            LogRetrying(logger, path, answer.Status, wait.TotalSeconds);
            await Task.Delay(wait, time, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.RetryMax.Ticks));
        }
    }

    static bool IsRetryable(int status) => status is 0 or 408 or 409 or 429 or >= 500;

    /// <summary>Full jitter over the upper half, so parallel receivers do not retry in lockstep.</summary>
    static TimeSpan Jitter(TimeSpan delay) => TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + Random.Shared.NextDouble() * 0.5)));

    TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
            return null;
        if (header.Delta is { } delta)
            return delta;
        if (header.Date is { } date)
        {
            var until = date - time.GetUtcNow();
            return until > TimeSpan.Zero ? until : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>A fixed one-minute window: simple, and the budget holds within every window the operator can see.</summary>
    bool TryTakeBudget(int perMinute)
    {
        var minute = time.GetUtcNow().ToUnixTimeSeconds() / 60;
        lock (_budgetGate)
        {
            if (minute != _windowStart)
            {
                _windowStart = minute;
                _spent = 0;
            }
            if (_spent >= perMinute)
                return false;
            _spent++;
            return true;
        }
    }

    static JsonObject? Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The error message of a Google error body, cut short, for the operator (never carries the key).</summary>
    public static string Describe(GeminiResponse response)
    {
        if (response.Status == 0)
            return "no answer (network failure or request budget spent)";
        var message = response.Body?["error"]?["message"] is JsonValue value && value.TryGetValue<string>(out var m) ? m : null;
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"HTTP {response.Status}");
        if (message is not null)
            text.Append(": ").Append(message.Length > 200 ? message[..200] : message);
        return text.ToString();
    }

    internal static bool IsNotFound(GeminiResponse response) => response.Status == (int)HttpStatusCode.NotFound;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gemini API GET {Path}: status {Status}, retrying in {DelaySeconds:0.0} s")]
    static partial void LogRetrying(ILogger logger, string path, int status, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gemini API GET {Path}: request failed ({Failure})")]
    static partial void LogNetworkFailure(ILogger logger, string path, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gemini API GET {Path} deferred: the budget of {Budget} requests a minute is spent")]
    static partial void LogBudgetSpent(ILogger logger, string path, int budget);
}
