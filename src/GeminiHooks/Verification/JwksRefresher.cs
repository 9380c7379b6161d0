using GeminiHooks.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Verification;

/// <summary>
/// Keeps the JWKS fresh when dynamic webhooks are on: the first fetch runs in the background (start-up does not wait
/// on Google), retried with backoff until it succeeds; later fetches follow the cached set's expiry.
/// </summary>
sealed class JwksRefresher(JwksCache jwks, IOptionsMonitor<GeminiHooksOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var dynamicOptions = options.CurrentValue.Dynamic;
            TimeSpan wait;
            if (!dynamicOptions.Enabled)
            {
                wait = TimeSpan.FromMinutes(1);
            }
            else if (jwks.ExpiresAt is { } expires && expires > time.GetUtcNow())
            {
                wait = expires - time.GetUtcNow();
            }
            else
            {
                var ok = await jwks.RefreshAsync(force: true, stoppingToken);
                failures = ok ? 0 : failures + 1;
                wait = ok
                    ? (jwks.ExpiresAt ?? time.GetUtcNow()) - time.GetUtcNow()
                    : TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(failures, 6))));
            }
            try { await Task.Delay(wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait, time, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
