using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Tests.Support;

/// <summary>An http handler's target on loopback: answers 500 (every attempt fails) until <see cref="Succeed"/> is set, then 200.</summary>
sealed class Downstream : IAsyncDisposable
{
    readonly WebApplication _app;
    int _calls;

    Downstream(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";
    public volatile bool Succeed;
    public int Calls => Volatile.Read(ref _calls);

    public static async Task<Downstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var downstream = new Downstream(app);
        app.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref downstream._calls);
            return downstream.Succeed ? Results.Ok() : Results.StatusCode(500);
        });
        await app.StartAsync();
        downstream.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
        return downstream;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
