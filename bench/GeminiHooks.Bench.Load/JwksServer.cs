using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Bench.Load;

/// <summary>The bench's stand-in for Google's JWKS endpoint, on 127.0.0.1 only. run.sh stops it by its pid.</summary>
static class JwksServer
{
    public static async Task<int> RunAsync(string file, int port)
    {
        var document = await File.ReadAllTextAsync(file);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        await using var app = builder.Build();
        app.MapGet("/.well-known/jwks.json", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Text(document, "application/json");
        });
        await app.RunAsync();
        return 0;
    }
}
