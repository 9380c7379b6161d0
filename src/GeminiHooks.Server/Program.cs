using GeminiHooks.Hosting;
using GeminiHooks.Http;
using GeminiHooks.Server;
using Serilog;

if (args is ["healthcheck"])
    return await HealthProbe.RunAsync();

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.Host.UseSerilog((context, services, logger) => ServerLogging.Configure(context, services, logger));
    builder.Services.AddGeminiHooks(builder.Configuration);
    builder.Services.AddGeminiHooksPostgres(); // Store:Provider=Postgres selects it; Sqlite is the default
    builder.Services.AddGeminiHooksBrokers();  // handler types redis, nats and rabbitmq
    builder.Services.AddGeminiHooksS3(builder.Configuration); // Artifacts:Store=S3 selects it; FileSystem is the default
    builder.AddGeminiHooksOperations();
    builder.AddGeminiHooksTelemetry();
    builder.AddGeminiHooksHealth();

    var app = builder.Build();
    app.UseGeminiHooksMetricsPort(); // before everything: the metrics port serves the scrape and nothing else
    app.UseGeminiHooksServerErrorCount(); // then: counts any 5xx but 503 the client gets
    // Every error answer is RFC 9457 JSON: an unreachable store is a 503 with Retry-After, anything else unexpected
    // a 500 without a stack trace, and 404/405 from routing as well.
    app.UseExceptionHandler(new ExceptionHandlerOptions
    {
        ExceptionHandler = context => ProblemResponse.WriteAsync(context, 500, "The request could not be processed."),
    });
    app.UseStatusCodePages(pages => ProblemResponse.WriteAsync(pages.HttpContext, pages.HttpContext.Response.StatusCode,
        StatusCodeDetails.For(pages.HttpContext.Response.StatusCode)));
    app.UseGeminiHooksOperations();
    app.MapGeminiHooksTelemetry();
    app.MapGeminiHooksHealth();
    app.MapGeminiHooks().RequireRateLimiting(DeliveryRateLimiting.PolicyName);
    app.MapGeminiHooksAdmin();
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (ConfigurationErrors.TryReport(e))
{
    return 2;
}
finally
{
    // The production console sink writes in the background: the last lines go out before the process ends.
    await Log.CloseAndFlushAsync();
}

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
