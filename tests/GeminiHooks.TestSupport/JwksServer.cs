using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.TestSupport;

/// <summary>A JWKS served on a loopback port, standing in for Google's; keys and availability change under test.</summary>
public sealed class JwksServer : IAsyncDisposable
{
    LoopbackServer _server = null!;
    volatile JsonArray _keys = [];
    int _fetches;

    public string Uri => _server.Url("/.well-known/jwks.json");
    public int Fetches => Volatile.Read(ref _fetches);

    /// <summary>False: every fetch answers 503, as an outage would.</summary>
    public bool Available { get; set; } = true;

    public string? CacheControl { get; set; } = "public, max-age=3600";

    public void SetKeys(params JsonObject[] keys) => _keys = new JsonArray(keys.Select(k => (JsonNode)k.DeepClone()).ToArray());

    public static async Task<JwksServer> StartAsync()
    {
        var server = new JwksServer();
        server._server = await LoopbackServer.StartAsync(app => app.MapGet("/.well-known/jwks.json", (HttpContext context) =>
        {
            Interlocked.Increment(ref server._fetches);
            if (!server.Available)
                return Results.StatusCode(503);
            if (server.CacheControl is { } cacheControl)
                context.Response.Headers.CacheControl = cacheControl;
            return Results.Text(new JsonObject { ["keys"] = server._keys.DeepClone() }.ToJsonString(), "application/json");
        }));
        return server;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
