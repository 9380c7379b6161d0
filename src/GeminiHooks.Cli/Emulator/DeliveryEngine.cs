using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Events;
using GeminiHooks.Cli.Signing;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// Delivers like Gemini: POST with the three webhook headers, a non-2xx answer or a timeout is retried with
/// exponential backoff (<see cref="RetrySchedule"/>) under the same webhook-id, re-signed with a fresh timestamp.
/// A registered webhook whose deliveries keep failing every attempt becomes <c>disabled_due_to_failed_deliveries</c>
/// (an assumption: see <see cref="EmulatorOptions.DisableAfterFailedDeliveries"/>).
/// </summary>
internal sealed class DeliveryEngine : IAsyncDisposable
{
    readonly EmulatorOptions _options;
    readonly WebhookRegistry _registry;
    readonly TextWriter _log;
    readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    readonly CancellationTokenSource _stopping = new();
    readonly ConcurrentDictionary<string, DeliveryRecord> _records = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<Task, byte> _running = new();

    public DeliveryEngine(EmulatorOptions options, WebhookRegistry registry, TextWriter log)
    {
        _options = options;
        _registry = registry;
        _log = log;
    }

    public IEnumerable<DeliveryRecord> Records => _records.Values;

    public DeliveryRecord? Find(string id) => _records.GetValueOrDefault(id);

    /// <summary>A static delivery to a registered webhook, signed with whichever of its secrets are live at each attempt.</summary>
    public DeliveryRecord EnqueueStatic(string webhookId, string uri, string type, byte[] body, bool disableOnFailure, TimeSpan delay = default)
    {
        var record = new DeliveryRecord { Id = SampleEvents.NewWebhookId(), Type = type, Uri = uri, Webhook = webhookId, Format = "v1" };
        Start(record, body, () => _registry.SigningTarget(webhookId) is { } target
            ? (target.Uri, new StaticSigner(target.Keys))
            : null, disableOnFailure ? webhookId : null, delay);
        return record;
    }

    /// <summary>
    /// The project-wide fan-out of a static event: one delivery to every enabled registered webhook subscribed to the
    /// type, each under its own webhook-id and signed with that webhook's live secrets. Two webhooks with one URL
    /// therefore deliver the event twice, as Gemini does.
    /// </summary>
    public IReadOnlyList<DeliveryRecord> EnqueueToSubscribers(string type, byte[] body, TimeSpan delay = default) =>
        _registry.Subscribers(type).Select(w => EnqueueStatic(w.Id, w.Uri, type, body, disableOnFailure: true, delay)).ToList();

    /// <summary>
    /// An ad-hoc dynamic delivery (a request's webhook_config.uris), signed with the emulator's own key; its first attempt
    /// after <paramref name="delay"/> when one is given (a test control: Gemini's delivery arriving late).
    /// </summary>
    public DeliveryRecord EnqueueDynamic(string uri, string type, byte[] body, string format, IDeliverySigner signer, TimeSpan delay = default)
    {
        var record = new DeliveryRecord { Id = SampleEvents.NewWebhookId(), Type = type, Uri = uri, Webhook = null, Format = format };
        Start(record, body, () => (uri, signer), null, delay);
        return record;
    }

    void Start(DeliveryRecord record, byte[] body, Func<(string Uri, IDeliverySigner Signer)?> target, string? disableWebhook,
        TimeSpan delay = default)
    {
        _records[record.Id] = record;
        var task = Task.Run(() => DeliverAsync(record, body, target, disableWebhook, delay, _stopping.Token));
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    async Task DeliverAsync(DeliveryRecord record, byte[] body, Func<(string Uri, IDeliverySigner Signer)?> target,
        string? disableWebhook, TimeSpan firstAttemptDelay, CancellationToken stopping)
    {
        var schedule = _options.Retry;
        var limit = schedule.MaxAttempts == int.MaxValue ? "" : "/" + schedule.MaxAttempts.ToString(CultureInfo.InvariantCulture);
        try
        {
            if (firstAttemptDelay > TimeSpan.Zero)
            {
                // As for retries: the timer exists before its due time is published.
                var held = Task.Delay(firstAttemptDelay, _options.Time, stopping);
                record.ScheduleRetry(CliJson.Rfc3339(_options.Time.GetUtcNow() + firstAttemptDelay));
                await held;
                record.ScheduleRetry(null);
            }
            var first = _options.Time.GetUtcNow();
            for (var attempt = 1; ; attempt++)
            {
                // Re-read each time: a webhook deleted meanwhile gets no more attempts, a rotation changes the signatures.
                if (target() is not { } current)
                {
                    record.Finish("cancelled");
                    return;
                }
                var (status, error) = await AttemptAsync(record.Id, current.Uri, body, current.Signer, stopping);
                var now = _options.Time.GetUtcNow();
                record.AddAttempt(new AttemptRecord(attempt, CliJson.Rfc3339(now), status, error));
                var outcome = status is >= 200 and < 300 ? "delivered" : $"failed ({(status?.ToString(CultureInfo.InvariantCulture) ?? error)})";
                await _log.WriteLineAsync($"delivery {record.Id} {record.Type} -> {current.Uri} attempt {attempt}{limit}: {outcome}");
                if (status is >= 200 and < 300)
                {
                    record.Finish("delivered");
                    if (disableWebhook is not null)
                        _registry.RecordDeliveryOutcome(disableWebhook, succeeded: true, _options.DisableAfterFailedDeliveries);
                    return;
                }
                if (schedule.NextAttempt(attempt, first, now) is not { } due)
                    break;
                // The timer starts before the due time is published, so whoever reads it and moves the clock (tests do)
                // moves a timer that already exists.
                var wait = due - _options.Time.GetUtcNow();
                var delay = wait > TimeSpan.Zero ? Task.Delay(wait, _options.Time, stopping) : Task.CompletedTask;
                record.ScheduleRetry(CliJson.Rfc3339(due));
                await delay;
                record.ScheduleRetry(null);
            }
            record.Finish("failed");
            if (disableWebhook is not null &&
                _registry.RecordDeliveryOutcome(disableWebhook, succeeded: false, _options.DisableAfterFailedDeliveries))
                await _log.WriteLineAsync($"webhook {disableWebhook}: {_options.DisableAfterFailedDeliveries} delivery(ies) in a row failed every attempt; " +
                    "state is now disabled_due_to_failed_deliveries (an assumption of this emulator: see --disable-after)");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            record.Finish("cancelled");
        }
    }

    async Task<(int? Status, string? Error)> AttemptAsync(string id, string uri, byte[] body, IDeliverySigner signer, CancellationToken stopping)
    {
        var timestamp = _options.Time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("webhook-id", id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", signer.Sign(id, timestamp, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.DeliveryTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)response.StatusCode, null);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return (null, "timeout");
        }
        catch (HttpRequestException e)
        {
            return (null, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_running.Keys);
        }
        catch (OperationCanceledException)
        {
            // Pending retries are abandoned at shutdown, as intended.
        }
        _stopping.Dispose();
        _http.Dispose();
    }
}
