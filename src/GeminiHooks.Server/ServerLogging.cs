using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace GeminiHooks.Server;

/// <summary>
/// Serilog: readable lines in Development, one JSON object per line otherwise (for log shippers). A <c>Serilog</c>
/// configuration section overrides levels. Request logging by ASP.NET Core is turned down: the ingest endpoint writes
/// its own single line per delivery (endpoint, webhook-id, type, outcome, duration, client address), and never a body or a secret.
/// In production those lines are written in batches by <see cref="BufferedConsoleSink"/>, off the request path.
/// </summary>
static class ServerLogging
{
    public static void Configure(HostBuilderContext context, IServiceProvider services, LoggerConfiguration logger)
    {
        logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
            .ReadFrom.Configuration(context.Configuration)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext();
        if (context.HostingEnvironment.IsDevelopment())
            // ClientAddress is set on request lines only (Operations.cs); elsewhere it renders as nothing.
            logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {ClientAddress}{NewLine}{Exception}");
        else
            logger.WriteTo.Sink(new BufferedConsoleSink(new CompactJsonFormatter()));
    }
}
