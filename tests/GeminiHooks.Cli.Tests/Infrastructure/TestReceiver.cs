using System.Text;
using GeminiHooks.Verification;

namespace GeminiHooks.Cli.Tests.Infrastructure;

/// <summary>One request as the receiver saw it.</summary>
internal sealed record ReceivedDelivery(string Id, string Timestamp, string Signature, string Body, int AnsweredStatus);

/// <summary>
/// A minimal webhook receiver on 127.0.0.1 (the real one lives in GeminiHooks.Server): records every request and
/// answers with <see cref="Respond"/>; when <see cref="Secrets"/> is set it verifies v1 signatures (401 on mismatch).
/// </summary>
internal sealed class TestReceiver : IAsyncDisposable
{
    readonly LoopbackReceiver _server;
    readonly Lock _lock = new();
    readonly List<ReceivedDelivery> _received = [];

    TestReceiver(LoopbackReceiver server)
    {
        _server = server;
        server.Answer = AnswerAsync;
        Url = new Uri(server.Url("/hook"));
    }

    public Uri Url { get; }

    /// <summary>Status for the n-th request (0-based); default 200.</summary>
    public Func<int, int> Respond { get; set; } = _ => 200;

    /// <summary>How long to wait before answering the n-th request (0-based), to simulate a slow receiver.</summary>
    public Func<int, TimeSpan> Delay { get; set; } = _ => TimeSpan.Zero;

    /// <summary>When not null, only deliveries signed with one of these secrets are accepted.</summary>
    public IReadOnlyList<string>? Secrets { get; set; }

    public IReadOnlyList<ReceivedDelivery> Received { get { lock (_lock) return [.. _received]; } }

    public static async Task<TestReceiver> StartAsync() => new(await LoopbackReceiver.StartAsync());

    async Task<int> AnswerAsync(LoopbackReceiver.Received request, int number)
    {
        var body = request.Body;
        var id = request.Headers.GetValueOrDefault("webhook-id", "");
        var timestamp = request.Headers.GetValueOrDefault("webhook-timestamp", "");
        var signature = request.Headers.GetValueOrDefault("webhook-signature", "");
        int status;
        TimeSpan delay;
        lock (_lock)
        {
            status = Respond(number);
            delay = Delay(number);
            // Recorded before the delay so a caller that gave up (timeout) still sees the attempt.
            _received.Add(new ReceivedDelivery(id, timestamp, signature, body, status));
        }
        if (delay > TimeSpan.Zero)
            await Task.Delay(delay);
        if (status == 200 && Secrets is { } secrets &&
            !StandardWebhooks.VerifyV1(secrets.Select(StandardWebhooks.DecodeSecret).ToList(), id, timestamp, Encoding.UTF8.GetBytes(body), signature))
        {
            status = 401;
            lock (_lock)
            {
                var index = _received.FindLastIndex(d => d.Id == id && d.Timestamp == timestamp);
                _received[index] = _received[index] with { AnsweredStatus = status };
            }
        }
        return status;
    }

    public Task WaitForAsync(int count, string? what = null) =>
        Eventually.UntilAsync(() => Received.Count >= count, what ?? $"{count} deliveries at the test receiver");

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
