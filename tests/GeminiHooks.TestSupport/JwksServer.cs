using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Tests.Support;

/// <summary>A JWKS served on a loopback port, standing in for Google's; keys and availability change under test.</summary>
sealed class JwksServer : IAsyncDisposable
{
    readonly WebApplication _app;
    volatile JsonArray _keys = [];
    int _fetches;

    JwksServer(WebApplication app) => _app = app;

    public string Uri { get; private set; } = "";
    public int Fetches => Volatile.Read(ref _fetches);

    /// <summary>False: every fetch answers 503, as an outage would.</summary>
    public bool Available { get; set; } = true;

    public string? CacheControl { get; set; } = "public, max-age=3600";

    public void SetKeys(params JsonObject[] keys) => _keys = new JsonArray(keys.Select(k => (JsonNode)k.DeepClone()).ToArray());

    public static async Task<JwksServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new JwksServer(app);
        app.MapGet("/.well-known/jwks.json", (HttpContext context) =>
        {
            Interlocked.Increment(ref server._fetches);
            if (!server.Available)
                return Results.StatusCode(503);
            if (server.CacheControl is { } cacheControl)
                context.Response.Headers.CacheControl = cacheControl;
            return Results.Text(new JsonObject { ["keys"] = server._keys.DeepClone() }.ToJsonString(), "application/json");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Uri = address + "/.well-known/jwks.json";
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
