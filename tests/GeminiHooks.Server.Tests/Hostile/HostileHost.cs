using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using GeminiHooks.Verification;
using Microsoft.IdentityModel.Tokens;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>
/// A receiver with both endpoints, the operator API and a jsonl archive, on SQLite or on a fresh PostgreSQL database,
/// plus signers for bodies given as raw bytes (hostile bodies are often not valid UTF-8, so no string round trip).
/// </summary>
sealed class HostileHost : IAsyncDisposable
{
    public const string AdminKey = "hostile-admin-key-0123456789abcd";
    public const string StaticPath = "/webhooks/gemini";
    public const string DynamicPath = "/webhooks/gemini/dynamic";

    readonly TempDirectory _data = new();
    JwksServer _jwks = null!;
    NSec.Cryptography.Key _edKey = null!;

    public Receiver Receiver { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public string? PostgresDatabase { get; private set; }
    public string ArchiveFile => _data.File("archive.jsonl");

    public static async Task<HostileHost> StartAsync(string store)
    {
        var host = new HostileHost();
        var (edPublic, edPrivate) = await NodeSigner.GenerateKeyAsync("EdDSA", "ed-1");
        host._edKey = NSec.Cryptography.Key.Import(NSec.Cryptography.SignatureAlgorithm.Ed25519,
            Base64UrlEncoder.DecodeBytes((string)edPrivate["d"]!), NSec.Cryptography.KeyBlobFormat.RawPrivateKey);
        host._jwks = await JwksServer.StartAsync();
        host._jwks.SetKeys(edPublic);
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:Dynamic:Enabled"] = "true",
            ["GeminiHooks:Dynamic:JwksUri"] = host._jwks.Uri,
            ["GeminiHooks:Dynamic:Audiences:0"] = "https://receiver.example/webhooks/gemini/dynamic",
            ["GeminiHooks:Dynamic:Binding:Mode"] = "Off", // these tests are about verification, not binding
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
            ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
            ["GeminiHooks:Handlers:archive:Path"] = host.ArchiveFile,
            // The fuzz sends thousands of requests a second from one address: these tests are about answers, not the
            // rate limit (on by default at 1,000 a second).
            ["GeminiHooks:RateLimit:PermitLimit"] = "1000000",
        };
        if (store == "Postgres")
        {
            host.PostgresDatabase = await TestPostgres.CreateDatabaseAsync();
            settings["GeminiHooks:Store:Provider"] = "Postgres";
            settings["GeminiHooks:Store:ConnectionString"] = host.PostgresDatabase;
        }
        host.Receiver = new Receiver(host._data.Path, settings);
        host.Client = host.Receiver.Start();
        await Eventually.UntilAsync(async () =>
        {
            using var ready = await host.Client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        });
        return host;
    }

    public long Now => Receiver.Now;

    public static HttpRequestMessage Post(string path, string? id, string? timestamp, string? signature, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (id is not null) request.Headers.TryAddWithoutValidation("webhook-id", id);
        if (timestamp is not null) request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp);
        if (signature is not null) request.Headers.TryAddWithoutValidation("webhook-signature", signature);
        return request;
    }

    public HttpRequestMessage SignedStatic(string id, byte[] body, long? timestamp = null)
    {
        var ts = timestamp ?? Now;
        return Post(StaticPath, id, ts.ToString(CultureInfo.InvariantCulture),
            StandardWebhooks.SignV1(StandardWebhooks.DecodeSecret(Receiver.Secret), id, ts, body), body);
    }

    public HttpRequestMessage SignedDynamic(string id, byte[] body, long? timestamp = null)
    {
        var ts = timestamp ?? Now;
        return Post(DynamicPath, id, ts.ToString(CultureInfo.InvariantCulture), StandardWebhooks.SignV1a(_edKey, id, ts, body), body);
    }

    public HttpRequestMessage Admin(HttpMethod method, string pathAndQuery, string? key = AdminKey)
    {
        var request = new HttpRequestMessage(method, pathAndQuery);
        if (key is not null)
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        return request;
    }

    public async Task<JsonNode> AdminJsonAsync(string pathAndQuery)
    {
        using var response = await Client.SendAsync(Admin(HttpMethod.Get, pathAndQuery));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Receiver.DisposeAsync();
        await _jwks.DisposeAsync();
        _edKey.Dispose();
        _data.Dispose();
    }
}
