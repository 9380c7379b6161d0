// The bench's ceiling: Kestrel on 127.0.0.1 that reads the body into an array (as the receiver must, to verify and
// store it) and answers 200 with the receiver's accepted body. No verification, no store, no logging: whatever rate
// this reaches on the machine, with wrk sharing its cores, is the most any ASP.NET Core receiver could do here.
using System.Net;

var port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 8790;
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
var app = builder.Build();
var accepted = """{"status":"accepted"}"""u8.ToArray();
app.MapPost("/{**path}", async context =>
{
    var body = new byte[context.Request.ContentLength ?? 0];
    await context.Request.Body.ReadExactlyAsync(body, context.RequestAborted);
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = accepted.Length;
    await context.Response.Body.WriteAsync(accepted, context.RequestAborted);
});
app.MapGet("/readyz", () => "ok");
await app.RunAsync();
