using CustomHandler;
using GeminiHooks.Admin;
using GeminiHooks.Hosting;
using GeminiHooks.Storage;
using GeminiHooks.Storage.Sqlite;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddSingleton<OutputFiles>();
builder.Services.AddGeminiHooksDispatch(builder.Configuration)
    .AddHandler<RecordBatchOutput>()
    .AddHandler<EscalateRequiredAction>();

// The server's AddGeminiHooks() registers and initializes the store; this sample does it by hand to stay standalone.
builder.Services.AddSingleton<IEventStore>(sp => new SqliteEventStore(new StoreOptions(),
    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SqliteEventStore>>()));

var app = builder.Build();
await app.Services.GetRequiredService<IEventStore>().InitializeAsync(CancellationToken.None);
app.MapGeminiHooksAdmin();
app.MapGet("/outputs", (OutputFiles outputs) => outputs.ByBatch.ToDictionary());
await app.RunAsync();
