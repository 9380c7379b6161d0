using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Verification;

namespace GeminiHooks.Server.Tests.Support;

/// <summary>
/// The published server (as the Dockerfile runs it) in Production with the given environment, for the tests that need
/// the real configuration path (Kestrel endpoints, forwarded headers, exporters) and a process of its own, so metrics
/// count only what the test sent. Killed on dispose.
/// </summary>
sealed class ServerProcess : IAsyncDisposable
{
    public const string Secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    readonly ChildProcess _process;
    readonly TempDirectory _data;

    ServerProcess(ChildProcess process, TempDirectory data)
    {
        _process = process;
        _data = data;
    }

    /// <summary>The server's data folder (its SQLite file is <c>geminihooks.db</c> there).</summary>
    public string DataDirectory => _data.Path;

    public string Log => _process.Log;

    /// <summary>The exit code, for a server expected to stop by itself (a configuration error).</summary>
    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>Starts the server with a fresh data folder; <paramref name="environment"/> adds to (or overrides) the base settings.</summary>
    public static async Task<ServerProcess> StartAsync(IDictionary<string, string> environment)
    {
        var app = await PublishedServer.DirectoryAsync();
        var data = new TempDirectory();
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["GeminiHooks__Store__ConnectionString"] = $"Data Source={data.File("geminihooks.db")}",
            ["GeminiHooks__Static__Secrets__0"] = Secret,
        };
        foreach (var (key, value) in environment)
            settings[key] = value;
        return new ServerProcess(ChildProcess.Start("dotnet", ["GeminiHooks.Server.dll"], app, settings), data);
    }

    /// <summary>Waits for <c>/healthz</c> through <paramref name="client"/> (at most 60 s).</summary>
    public Task WaitUntilUpAsync(HttpClient client) => _process.WaitUntilAnswersAsync(client, "/healthz", TimeSpan.FromSeconds(60));

    /// <summary>The JSON log entry of the delivery with this webhook-id (waits up to 10 s for it to be written).</summary>
    public async Task<JsonNode> DeliveryLogAsync(string webhookId) =>
        JsonNode.Parse(await _process.WaitForLineAsync(l => l.Contains($"\"WebhookId\":\"{webhookId}\"", StringComparison.Ordinal),
            $"a log line for {webhookId}", TimeSpan.FromSeconds(10)))!;

    /// <summary>A static delivery signed now with <see cref="Secret"/> (or <paramref name="secret"/>).</summary>
    public static HttpRequestMessage Delivery(string id, string? body = null, string secret = Secret)
    {
        // One batch per delivery: terminal events of one job after the first are stored but not dispatched.
        body ??= Receiver.Event(id: "batches/" + id);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = StandardWebhooks.SignV1(StandardWebhooks.DecodeSecret(secret), id, ts, Encoding.UTF8.GetBytes(body));
        return Receiver.Delivery("/webhooks/gemini", id, ts.ToString(CultureInfo.InvariantCulture), signature, body);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            _data.Dispose();
        }
    }
}
