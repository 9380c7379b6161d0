using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Tests.Support;

/// <summary>An http handler's target on loopback that always answers 500, so every attempt fails.</summary>
sealed class FailingDownstream : IAsyncDisposable
{
    readonly WebApplication _app;
    int _calls;

    FailingDownstream(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";
    public int Calls => Volatile.Read(ref _calls);

    public static async Task<FailingDownstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var downstream = new FailingDownstream(app);
        app.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref downstream._calls);
            return Results.StatusCode(500);
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
