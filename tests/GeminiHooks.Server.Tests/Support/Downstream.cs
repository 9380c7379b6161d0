using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Server.Tests.Support;

/// <summary>An http handler's target on loopback: answers 500 (every attempt fails) until <see cref="Succeed"/> is set, then 200.</summary>
sealed class Downstream : IAsyncDisposable
{
    LoopbackServer _server = null!;
    int _calls;

    public string Url => _server.Url("/hook");
    public volatile bool Succeed;
    public int Calls => Volatile.Read(ref _calls);

    public static async Task<Downstream> StartAsync()
    {
        var downstream = new Downstream();
        downstream._server = await LoopbackServer.StartAsync(app => app.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref downstream._calls);
            return downstream.Succeed ? Results.Ok() : Results.StatusCode(500);
        }));
        return downstream;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
