using System.Net;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Support;

/// <summary>
/// A receiver with dynamic webhooks on and its JWKS served on loopback, ready (<c>/readyz</c> green) when returned: the
/// set-up the dynamic ingest tests share. The keys are the public halves the test signs with.
/// </summary>
sealed class DynamicReceiver : IAsyncDisposable
{
    public const string Audience = "https://receiver.example/webhooks/gemini/dynamic";
    public const string Path = "/webhooks/gemini/dynamic";

    readonly TempDirectory _data;

    DynamicReceiver(TempDirectory data, JwksServer jwks, Receiver receiver, HttpClient client)
    {
        _data = data;
        Jwks = jwks;
        Receiver = receiver;
        Client = client;
    }

    public JwksServer Jwks { get; }
    public Receiver Receiver { get; }
    public HttpClient Client { get; }

    public static async Task<DynamicReceiver> StartAsync(params JsonObject[] publicKeys)
    {
        var data = new TempDirectory();
        var jwks = await JwksServer.StartAsync();
        jwks.SetKeys(publicKeys);
        var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Dynamic:Enabled"] = "true",
            ["GeminiHooks:Dynamic:JwksUri"] = jwks.Uri,
            ["GeminiHooks:Dynamic:Audiences:0"] = Audience,
            ["GeminiHooks:Dynamic:Binding:Mode"] = "Off", // these tests are about verification, not binding
        });
        var client = receiver.Start();
        await Eventually.UntilAsync(async () =>
        {
            using var ready = await client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        });
        return new DynamicReceiver(data, jwks, receiver, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Receiver.DisposeAsync();
        await Jwks.DisposeAsync();
        _data.Dispose();
    }
}
