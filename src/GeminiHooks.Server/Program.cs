using GeminiHooks.Hosting;
using GeminiHooks.Server;
using Microsoft.Extensions.Options;
using Serilog;

if (args is ["healthcheck"])
    return await HealthProbe.RunAsync();

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.Host.UseSerilog((context, services, logger) => ServerLogging.Configure(context, services, logger));
    builder.Services.AddGeminiHooks(builder.Configuration);
    builder.Services.AddGeminiHooksPostgres(); // Store:Provider=Postgres selects it; Sqlite is the default
    builder.AddGeminiHooksOperations();
    builder.AddGeminiHooksTelemetry();

    var app = builder.Build();
    app.UseGeminiHooksServerErrorCount(); // first: counts any 5xx but 503 the client gets
    app.UseExceptionHandler();  // problem details; an unreachable store is a 503 with Retry-After
    app.UseStatusCodePages();   // every error answer, 404 and 405 included, is RFC 9457 JSON
    app.UseGeminiHooksOperations();
    app.MapGeminiHooksTelemetry();
    app.MapGeminiHooks();
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    // One line per bad key, naming it; no stack trace for an operator's typo.
    foreach (var failure in e.Failures)
        await Console.Error.WriteLineAsync("Configuration error: " + failure);
    return 2;
}
finally
{
    // The production console sink writes in the background: the last lines go out before the process ends.
    await Log.CloseAndFlushAsync();
}

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
