using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.TestSupport;

/// <summary>
/// A loopback server that records every POST (the downstream of the http/slack handlers, the receiver of the CLI's
/// deliveries) and answers 200, a programmed failure, or whatever <see cref="Answer"/> decides.
/// </summary>
public sealed class LoopbackReceiver : IAsyncDisposable
{
    LoopbackServer _server = null!;
    int _count;
    int _failNext;

    public sealed record Received(string Path, Dictionary<string, string> Headers, string Body);

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Answers <see cref="FailStatus"/> to the next N requests, then 200.</summary>
    public int FailNext
    {
        get => Volatile.Read(ref _failNext);
        set => Volatile.Write(ref _failNext, value);
    }

    public int FailStatus { get; set; } = 503;

    /// <summary>Only requests to this path are failed (null: any path).</summary>
    public string? FailPath { get; set; }

    /// <summary>When set, decides the status of each request (given with its 0-based number) instead of the Fail* fields.</summary>
    public Func<Received, int, Task<int>>? Answer { get; set; }

    public string Url(string path) => _server.Url(path);

    public static async Task<LoopbackReceiver> StartAsync()
    {
        var receiver = new LoopbackReceiver();
        receiver._server = await LoopbackServer.StartAsync(app => app.MapPost("/{**path}", (Func<HttpContext, Task<IResult>>)receiver.ReceiveAsync));
        return receiver;
    }

    async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var received = new Received(context.Request.Path,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body);
        Requests.Enqueue(received);
        var number = Interlocked.Increment(ref _count) - 1;
        if (Answer is { } answer)
            return Results.StatusCode(await answer(received, number));
        return (FailPath is null || FailPath == context.Request.Path) &&
               Interlocked.Decrement(ref _failNext) >= 0 ? Results.StatusCode(FailStatus) : Results.Ok();
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
