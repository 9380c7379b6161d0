using System.Net;
using GeminiHooks.Configuration;
using GeminiHooks.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Serilog.Context;

namespace GeminiHooks.Server;

/// <summary>
/// The request pipeline in front of the endpoints: forwarded headers (behind a TLS-terminating proxy), the client
/// address on every log line of a request, and the delivery rate limit. HTTPS itself is Kestrel's standard
/// <c>Kestrel:Endpoints</c> configuration and needs no code (docs/operations.md).
/// </summary>
static class Operations
{
    public static void AddGeminiHooksOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ServerOptions>()
            .BindTypeChecked(builder.Configuration.GetSection(GeminiHooksOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        builder.Services.AddDeliveryRateLimiting();
        builder.Services.AddConnectionLimits();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ServerOptions>>((forwarded, options) =>
        {
            var settings = options.Value.ForwardedHeaders;
            // Only the client address and scheme: a forwarded Host would let a client pick the host the app sees.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = settings.ForwardLimit;
            if (settings.KnownProxies.Count > 0 || settings.KnownNetworks.Count > 0)
            {
                // Listing proxies replaces the loopback default: only those are trusted.
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                foreach (var proxy in settings.KnownProxies)
                    forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
                foreach (var network in settings.KnownNetworks)
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
    }

    /// <summary>Call before the endpoints are mapped: every middleware here must see the request first.</summary>
    public static void UseGeminiHooksOperations(this WebApplication app)
    {
        // Reading the options here (not per request) also surfaces invalid settings before the server listens.
        var options = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        if (options.ForwardedHeaders.Enabled)
            app.UseForwardedHeaders();
        // Routing after the forwarded headers, so the rate limiter and the endpoints see the real client.
        app.UseRouting();
        app.Use(async (context, next) =>
        {
            // The delivery line (and any other line of this request) carries who sent it; with forwarded headers on,
            // that is the address the proxy saw.
            using (LogContext.PushProperty("ClientAddress", ClientAddress.Of(context)))
                await next(context);
        });
        app.UseRateLimiter();
    }
}
