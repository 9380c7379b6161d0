using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Cli.Common;

/// <summary>A minimal Kestrel app bound to 127.0.0.1 only: these tools hold keys and accept unauthenticated calls.</summary>
internal static class LoopbackHost
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync(int port, Action<IServiceCollection> services,
        Action<WebApplication> map, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // The CLI reports on its own streams; framework logs would interleave with them.
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        services(builder.Services);
        var app = builder.Build();
        map(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new CliException($"cannot listen on 127.0.0.1:{port}: {e.Message} (pick another --port, or 0 for any free port).");
        }
        var address = app.Urls.First();
        return (app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>Waits until the invocation is cancelled (Ctrl+C), then stops the app.</summary>
    public static async Task RunUntilCancelledAsync(WebApplication app, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or the test's token: a normal way to stop.
        }
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }
}
