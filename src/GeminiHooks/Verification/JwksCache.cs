using System.Net.Http.Headers;
using GeminiHooks.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Verification;

/// <summary>
/// The dynamic webhooks' key set. Fetched in the background at start, kept for the Cache-Control max-age clamped to
/// [JwksRefreshMin, JwksMaxAge], refetched early when a delivery names a key id it does not hold (at most once per
/// JwksRefreshMin), and never dropped on a failed fetch: the last good set keeps serving.
/// </summary>
sealed partial class JwksCache(
    HttpClient http,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    ILogger<JwksCache> logger) : IDisposable
{
    public const string HttpClientName = "GeminiHooks.Jwks";

    /// <summary>Google's set is about a kilobyte; a larger body is refused before it is parsed (the last good set stays).</summary>
    public const int MaxBodyBytes = 1024 * 1024;
    static readonly TimeSpan DefaultMaxAge = TimeSpan.FromHours(1);

    readonly SemaphoreSlim _fetchLock = new(1, 1);
    volatile Snapshot? _current;
    DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    bool _lastAttemptFailed;

    /// <summary>The keys in use, or null while none has ever been fetched.</summary>
    public SigningKeySet? Keys => _current?.Keys;

    /// <summary>When the current set should be fetched again.</summary>
    public DateTimeOffset? ExpiresAt => _current?.ExpiresAt;

    /// <summary>Counts fetches, for metrics: (succeeded, failed).</summary>
    public (long Succeeded, long Failed) FetchCounts => (Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed));
    long _succeeded;
    long _failed;

    /// <summary>
    /// The key set for a delivery. When <paramref name="isMissing"/> says the current set cannot verify it (an unknown
    /// kid, say), one refetch is tried if the last one is older than JwksRefreshMin.
    /// Null when no set could ever be fetched: the caller answers 503.
    /// </summary>
    public async ValueTask<KeyLookup> GetAsync(Func<SigningKeySet, bool> isMissing, CancellationToken cancellationToken)
    {
        var snapshot = _current;
        if (snapshot is not null && time.GetUtcNow() >= snapshot.ExpiresAt)
            _ = RefreshInBackgroundAsync();
        if (snapshot is not null && !isMissing(snapshot.Keys))
            return new KeyLookup(snapshot.Keys, Refetched: false, SourceFailing: false);

        var refetched = await RefreshAsync(force: false, cancellationToken);
        snapshot = _current;
        return snapshot is null
            ? new KeyLookup(null, refetched, SourceFailing: true)
            : new KeyLookup(snapshot.Keys, refetched, SourceFailing: _lastAttemptFailed);
    }

    /// <summary>
    /// Fetches the set unless (without <paramref name="force"/>) a fetch happened within JwksRefreshMin.
    /// Returns whether a fetch succeeded. Concurrent callers share one fetch.
    /// </summary>
    public async Task<bool> RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        var dynamicOptions = options.CurrentValue.Dynamic;
        var startedWaiting = time.GetUtcNow();
        await _fetchLock.WaitAsync(cancellationToken);
        try
        {
            // Someone else fetched while we waited for the lock: use theirs.
            if (_lastAttempt >= startedWaiting)
                return !_lastAttemptFailed;
            if (!force && time.GetUtcNow() - _lastAttempt < dynamicOptions.JwksRefreshMin)
                return false;
            _lastAttempt = time.GetUtcNow();
            try
            {
                _current = await FetchAsync(dynamicOptions, cancellationToken);
                _lastAttemptFailed = false;
                Interlocked.Increment(ref _succeeded);
                foreach (var reason in _current.Keys.Skipped)
                    LogKeySkipped(logger, dynamicOptions.JwksUri, reason);
                LogFetched(logger, dynamicOptions.JwksUri, _current.Keys.Rsa.Count, _current.Keys.Ed25519.Count, _current.ExpiresAt);
                return true;
            }
            catch (Exception e) when (e is HttpRequestException or FormatException or TaskCanceledException or OperationCanceledException
                                      && !cancellationToken.IsCancellationRequested)
            {
                _lastAttemptFailed = true;
                Interlocked.Increment(ref _failed);
                LogFetchFailed(logger, dynamicOptions.JwksUri, e.Message, _current is not null);
                return false;
            }
        }
        finally
        {
            _fetchLock.Release();
        }
    }

    async Task RefreshInBackgroundAsync()
    {
        try { await RefreshAsync(force: false, CancellationToken.None); }
        catch (Exception e) { LogFetchFailed(logger, options.CurrentValue.Dynamic.JwksUri, e.Message, _current is not null); }
    }

    async Task<Snapshot> FetchAsync(DynamicWebhookOptions dynamicOptions, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(dynamicOptions.JwksTimeout);
        // Headers first: the body is read only up to MaxBodyBytes, whatever Content-Length claims.
        using var response = await http.GetAsync(dynamicOptions.JwksUri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"the JWKS endpoint answered {(int)response.StatusCode}");
        var body = await ReadBoundedAsync(response.Content, timeout.Token);
        var keys = SigningKeySet.Parse(body);
        var maxAge = MaxAge(response.Headers.CacheControl) ?? DefaultMaxAge;
        var lifetime = TimeSpan.FromTicks(Math.Clamp(maxAge.Ticks, dynamicOptions.JwksRefreshMin.Ticks, dynamicOptions.JwksMaxAge.Ticks));
        return new Snapshot(keys, time.GetUtcNow() + lifetime);
    }

    static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxBodyBytes)
            throw new FormatException($"the JWKS body is {content.Headers.ContentLength} bytes, more than {MaxBodyBytes}");
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
                throw new FormatException($"the JWKS body is larger than {MaxBodyBytes} bytes");
            await buffer.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
        }
        return buffer.ToArray();
    }

    static TimeSpan? MaxAge(CacheControlHeaderValue? cacheControl) =>
        cacheControl is null ? null : cacheControl.NoStore || cacheControl.NoCache ? TimeSpan.Zero : cacheControl.MaxAge;

    public void Dispose() => _fetchLock.Dispose();

    sealed record Snapshot(SigningKeySet Keys, DateTimeOffset ExpiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "JWKS fetched from {JwksUri}: {RsaKeys} RSA and {Ed25519Keys} Ed25519 keys, next fetch by {ExpiresAt}")]
    static partial void LogFetched(ILogger logger, string jwksUri, int rsaKeys, int ed25519Keys, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JWKS from {JwksUri}: a key was ignored: {Reason}")]
    static partial void LogKeySkipped(ILogger logger, string jwksUri, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JWKS fetch from {JwksUri} failed: {Reason} (keeping the last good set: {HasLastGood})")]
    static partial void LogFetchFailed(ILogger logger, string jwksUri, string reason, bool hasLastGood);
}
