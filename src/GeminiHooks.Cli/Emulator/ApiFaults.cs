using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// Test controls on the Gemini API routes: the next N requests answer an error (429 with <c>Retry-After</c>, or a 5xx)
/// instead of their resource, and every request is counted by resource (<c>batches</c>, <c>models</c>,
/// <c>interactions</c>, <c>webhooks</c>), so a test can see how a client backs off and what it spends.
/// </summary>
internal sealed class ApiFaults
{
    readonly Lock _gate = new();
    int _remaining;
    int _status;
    int _retryAfterSeconds;
    readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    public void Arm(int status, int count, int retryAfterSeconds)
    {
        lock (_gate)
        {
            (_status, _remaining, _retryAfterSeconds) = (status, count, retryAfterSeconds);
        }
    }

    public IReadOnlyDictionary<string, int> Requests => _requests;

    /// <summary>Counts the request; returns the error to answer instead, if one is armed.</summary>
    public IResult? Take(HttpRequest request)
    {
        // /{version}/{resource}/...: the resource is what the count is kept by.
        var segments = request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        var resource = segments.Length > 1 ? segments[1].Split(':')[0] : "other";
        _requests.AddOrUpdate(resource, 1, (_, n) => n + 1);
        lock (_gate)
        {
            if (_remaining <= 0)
                return null;
            _remaining--;
            if (_status == StatusCodes.Status429TooManyRequests && _retryAfterSeconds > 0)
                request.HttpContext.Response.Headers.RetryAfter = _retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return _status == StatusCodes.Status429TooManyRequests
                ? GoogleErrors.Error(429, "RESOURCE_EXHAUSTED", "Injected by the emulator: quota exceeded.")
                : GoogleErrors.Error(_status, _status == 503 ? "UNAVAILABLE" : "INTERNAL", "Injected by the emulator: server error.");
        }
    }
}
