using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace GeminiHooks.Server;

/// <summary>
/// Serilog: readable lines in Development, one JSON object per line otherwise (for log shippers). A <c>Serilog</c>
/// configuration section overrides levels. Request logging by ASP.NET Core is turned down: the ingest endpoint writes
/// its own single line per delivery (endpoint, webhook-id, type, outcome, duration, client address), and never a body or a secret.
/// Those lines are written in batches by <see cref="BufferedConsoleSink"/>, off the request path, control characters escaped.
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
        // Both go through the buffered sink, which escapes control characters: Serilog's console sink would write a
        // value's ESC sequences to the terminal as they are (and its colour theme is itself made of them).
        ITextFormatter formatter = context.HostingEnvironment.IsDevelopment()
            // ClientAddress is set on request lines only (Operations.cs); elsewhere it renders as nothing.
            ? new MessageTemplateTextFormatter("[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {ClientAddress}{NewLine}{Exception}")
            : new CompactJsonFormatter();
        logger.WriteTo.Sink(new BufferedConsoleSink(formatter));
    }
}
