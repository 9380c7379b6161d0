using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.TestSupport;

/// <summary>
/// A real HTTP server on a free 127.0.0.1 port with the routes a test maps: the stand-in for whatever the code under
/// test calls (a downstream webhook, a JWKS, an OTLP collector, a receiver). Stopped on dispose.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    readonly WebApplication _app;

    LoopbackServer(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Scheme, host and port, without a trailing slash: <c>http://127.0.0.1:41234</c>.</summary>
    public string Address { get; }

    public string Url(string path) => Address + path;

    public static async Task<LoopbackServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new LoopbackServer(app, app.Urls.First().TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
