using System.Net;
using System.Text;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Cli.Tests.Infrastructure;

/// <summary>One request as the receiver saw it.</summary>
internal sealed record ReceivedDelivery(string Id, string Timestamp, string Signature, string Body, int AnsweredStatus);

/// <summary>
/// A minimal webhook receiver on 127.0.0.1 (the real one lives in GeminiHooks.Server): records every request and
/// answers with <see cref="Respond"/>; when <see cref="Secrets"/> is set it verifies v1 signatures (401 on mismatch).
/// </summary>
internal sealed class TestReceiver : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly Lock _lock = new();
    readonly List<ReceivedDelivery> _received = [];

    TestReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Status for the n-th request (0-based); default 200.</summary>
    public Func<int, int> Respond { get; set; } = _ => 200;

    /// <summary>How long to wait before answering the n-th request (0-based), to simulate a slow receiver.</summary>
    public Func<int, TimeSpan> Delay { get; set; } = _ => TimeSpan.Zero;

    /// <summary>When not null, only deliveries signed with one of these secrets are accepted.</summary>
    public IReadOnlyList<string>? Secrets { get; set; }

    public IReadOnlyList<ReceivedDelivery> Received { get { lock (_lock) return [.. _received]; } }

    public static async Task<TestReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new TestReceiver(app);
        app.MapPost("/hook", receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = new Uri(new Uri(app.Urls.First()), "/hook");
        return receiver;
    }

    async Task<IResult> HandleAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var id = request.Headers["webhook-id"].ToString();
        var timestamp = request.Headers["webhook-timestamp"].ToString();
        var signature = request.Headers["webhook-signature"].ToString();
        int status;
        TimeSpan delay;
        lock (_lock)
        {
            status = Respond(_received.Count);
            delay = Delay(_received.Count);
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
        return Results.StatusCode(status);
    }

    public Task WaitForAsync(int count, string? what = null) =>
        Eventually.UntilAsync(() => Received.Count >= count, what ?? $"{count} deliveries at the test receiver");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
