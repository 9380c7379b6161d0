using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Dispatch.Tests;

/// <summary>A real HTTP server on a free loopback port that records every POST (the downstream of http/slack handlers).</summary>
public sealed class LoopbackReceiver : IAsyncDisposable
{
    readonly WebApplication _app;

    public sealed record Received(string Path, Dictionary<string, string> Headers, string Body);

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Answers this status to the next N requests, then 200.</summary>
    public int FailNext;

    public int FailStatus = 503;

    /// <summary>Only requests to this path are failed (null: any path).</summary>
    public string? FailPath;

    LoopbackReceiver(WebApplication app) => _app = app;

    public string Url(string path) => _app.Urls.First() + path;

    public static async Task<LoopbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new LoopbackReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            receiver.Requests.Enqueue(new Received(context.Request.Path,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
            return (receiver.FailPath is null || receiver.FailPath == context.Request.Path) &&
                   Interlocked.Decrement(ref receiver.FailNext) >= 0 ? Results.StatusCode(receiver.FailStatus) : Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
