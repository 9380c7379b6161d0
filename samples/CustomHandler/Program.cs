using CustomHandler;
using GeminiHooks.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

// A whole receiver with two handlers of your own: verification, durable store, retries and replay come with it.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton<OutputFiles>();
builder.Services.AddSingleton<ResultsFile>();
builder.Services.AddGeminiHooks(builder.Configuration)
    .AddHandler<RecordBatchOutput>()
    .AddHandler<EscalateRequiredAction>()
    .AddBatchResultHandler<AppendBatchResults>(); // each batch result, once GeminiHooks:Artifacts:Enabled (docs/artifacts.md)
// With UseExceptionHandler below: an unreachable store is a 503 with Retry-After on every endpoint, other errors
// problem details without a stack trace.
builder.Services.AddProblemDetails();

var app = builder.Build();
app.UseExceptionHandler();
app.MapGeminiHooks();            // the delivery endpoints only; conventions chained here apply to them alone
app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(GeminiHooksServiceCollectionExtensions.ReadinessTag) });
app.MapGeminiHooksAdmin();       // /admin, only when GeminiHooks:Admin:ApiKey is set
app.MapGet("/outputs", (OutputFiles outputs) => outputs.ByBatch.ToDictionary());
await app.RunAsync();
