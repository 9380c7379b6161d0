using System.Net.Http.Headers;
using System.Text;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Server.Tests.Support;

/// <summary>
/// The real server (Program) on a real Kestrel port, with settings from a JSON file that tests may rewrite
/// (reload on change), a SQLite file in <see cref="DataDirectory"/> and a clock the test moves.
/// </summary>
sealed class Receiver : WebApplicationFactory<Program>
{
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    readonly Dictionary<string, string?> _settings;
    readonly Action<IServiceCollection>? _configureServices;

    public Receiver(string dataDirectory, IDictionary<string, string?>? settings = null, FakeTimeProvider? time = null,
        Action<IServiceCollection>? configureServices = null)
    {
        _configureServices = configureServices;
        DataDirectory = dataDirectory;
        Time = time ?? new FakeTimeProvider(DateTimeOffset.UtcNow);
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["GeminiHooks:Static:Secrets:0"] = Secret,
            ["GeminiHooks:Store:ConnectionString"] = $"Data Source={Path.Combine(dataDirectory, "geminihooks.db")}",
            // Tests assert on answers and stored rows; the service's own log lines would only bury the test output.
            ["Serilog:MinimumLevel:Default"] = "Fatal",
            // The scrape on the test's own listener: a fixed metrics port would collide between parallel hosts.
            ["GeminiHooks:Metrics:Port"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            _settings[key] = value;
        WriteSettings(_settings);
        UseKestrel(0);
    }

    public string DataDirectory { get; }
    public FakeTimeProvider Time { get; }
    public string SettingsFile => Path.Combine(DataDirectory, "settings.json");
    public string DatabaseFile => Path.Combine(DataDirectory, "geminihooks.db");

    /// <summary>Rewrites the settings file; the server's configuration reloads from it.</summary>
    public void WriteSettings(IDictionary<string, string?> settings)
    {
        var root = new System.Text.Json.Nodes.JsonObject();
        foreach (var (key, value) in settings)
        {
            System.Text.Json.Nodes.JsonNode node = root;
            var parts = key.Split(':');
            for (var i = 0; i < parts.Length - 1; i++)
                node = node[parts[i]] ??= new System.Text.Json.Nodes.JsonObject();
            node[parts[^1]] = value;
        }
        var json = root.ToJsonString();
        // A receiver started again on the same data directory finds its own settings there: rewriting them would
        // fire a change event into the new host's configuration (and Kestrel's) while it starts.
        if (File.Exists(SettingsFile) && File.ReadAllText(SettingsFile) == json)
            return;
        var temporary = SettingsFile + ".tmp";
        File.WriteAllText(temporary, json);
        File.Move(temporary, SettingsFile, overwrite: true);
    }

    public HttpClient Start()
    {
        StartServer();
        return CreateClient();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.ConfigureAppConfiguration(configuration =>
            configuration.AddJsonFile(SettingsFile, optional: false, reloadOnChange: true));
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
            _configureServices?.Invoke(services);
        });
    }

    /// <summary>A POST with the three Standard Webhooks headers (any of them may be left out with null).</summary>
    public static HttpRequestMessage Delivery(string path, string? id, string? timestamp, string? signature, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (id is not null) request.Headers.TryAddWithoutValidation("webhook-id", id);
        if (timestamp is not null) request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp);
        if (signature is not null) request.Headers.TryAddWithoutValidation("webhook-signature", signature);
        return request;
    }

    /// <summary>A static delivery signed by the project's own signer.</summary>
    public HttpRequestMessage SignedStatic(string id, string body, string secret = Secret, long? timestamp = null)
    {
        var ts = timestamp ?? Time.GetUtcNow().ToUnixTimeSeconds();
        var signature = StandardWebhooks.SignV1(StandardWebhooks.DecodeSecret(secret), id, ts, Encoding.UTF8.GetBytes(body));
        return Delivery("/webhooks/gemini", id, ts.ToString(System.Globalization.CultureInfo.InvariantCulture), signature, body);
    }

    public long Now => Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>
    /// An envelope; without <paramref name="id"/>, of a batch of its own: the receiver dispatches only the first terminal
    /// event of each job, so deliveries meant to be handled each need their own job.
    /// </summary>
    public static string Event(string type = "batch.succeeded", string? id = null) =>
        $$$"""{"type":"{{{type}}}","version":"v1","timestamp":"2026-11-23T10:00:00Z","data":{"id":"{{{id ?? "batches/" + Guid.NewGuid().ToString("N")[..12]}}}","output_file_uri":"files/out-1"}}""";
}
