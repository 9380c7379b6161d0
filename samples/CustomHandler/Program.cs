using CustomHandler;
using GeminiHooks.Hosting;
using GeminiHooks.Configuration;

// A whole receiver with two handlers of your own: verification, durable store, retries and replay come with it.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton<OutputFiles>();
builder.Services.AddGeminiHooks(builder.Configuration)
    .AddHandler<RecordBatchOutput>()
    .AddHandler<EscalateRequiredAction>();

var app = builder.Build();
app.MapGeminiHooks();
app.MapGet("/outputs", (OutputFiles outputs) => outputs.ByBatch.ToDictionary());
await app.RunAsync();
