using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Events;
using GeminiHooks.Handlers;
using GeminiHooks.Hosting;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Server.Tests.Ingest;

/// <summary>
/// The binding token a bound delivery carries never leaves the store: a code handler (typed event and raw payload),
/// the jsonl archive, an http forward and the operator API all see the delivery without it, while the store keeps the
/// exact verified bytes. v1a deliveries signed by node:crypto, tokens minted by node:crypto.
/// </summary>
public class DynamicRedactionTests : IAsyncLifetime
{
    const string AdminKey = "redaction-admin-key-0123456789abcd";
    readonly TempDirectory _data = new();
    readonly Seen _seen = new();
    JsonObject _private = null!;
    JwksServer _jwks = null!;
    LoopbackReceiver _downstream = null!;
    Receiver _receiver = null!;
    HttpClient _client = null!;

    string ArchiveFile => Path.Combine(_data.Path, "archive.jsonl");

    /// <summary>What the code handler was given: the user_metadata it read and the payload a forward would send.</summary>
    sealed class Seen
    {
        public ConcurrentQueue<(string WebhookId, string? Metadata, string Payload)> Events { get; } = new();
    }

    sealed class RecordingHandler(Seen seen) : IGeminiEventHandler
    {
        public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
        {
            var payload = Encoding.UTF8.GetString(EventPayload.For(new GeminiHooks.Configuration.HandlerOptions()).Write(@event).Span);
            seen.Events.Enqueue((@event.Delivery.WebhookId, @event.UserMetadata?.GetRawText(), payload));
            return Task.CompletedTask;
        }
    }

    public async Task InitializeAsync()
    {
        JsonObject publicKey;
        (publicKey, _private) = await NodeSigner.GenerateKeyAsync("EdDSA", "ed-redact");
        _jwks = await JwksServer.StartAsync();
        _jwks.SetKeys(publicKey);
        _downstream = await LoopbackReceiver.StartAsync();
        _receiver = new Receiver(_data.Path, Settings(keep: false), configureServices: services =>
        {
            services.AddSingleton(_seen);
            new GeminiHooksBuilder(services).AddHandler<RecordingHandler>("recorder");
        });
        _client = _receiver.Start();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await Eventually.UntilAsync(async () =>
        {
            using var ready = await _client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        });
    }

    /// <summary>The whole settings file (a rewrite replaces it): the receiver's own defaults are repeated.</summary>
    Dictionary<string, string?> Settings(bool keep) => new()
    {
        ["GeminiHooks:Static:Secrets:0"] = Receiver.Secret,
        ["GeminiHooks:Store:ConnectionString"] = $"Data Source={Path.Combine(_data.Path, "geminihooks.db")}",
        ["Serilog:MinimumLevel:Default"] = "Fatal",
        ["GeminiHooks:Dynamic:Enabled"] = "true",
        ["GeminiHooks:Dynamic:JwksUri"] = _jwks.Uri,
        ["GeminiHooks:Dynamic:Binding:Keys:0"] = DynamicBindingTests.Key1,
        ["GeminiHooks:Dynamic:Binding:KeepTokenInPayloads"] = keep ? "true" : "false",
        ["GeminiHooks:Admin:ApiKey"] = AdminKey,
        ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
        ["GeminiHooks:Handlers:archive:Path"] = ArchiveFile,
        ["GeminiHooks:Handlers:forward:Type"] = "http",
        ["GeminiHooks:Handlers:forward:Url"] = _downstream.Url("/forwarded"),
        ["GeminiHooks:Handlers:forward:Secret"] = Receiver.Secret,
        ["GeminiHooks:Dispatch:PollInterval"] = "00:00:00.200",
    };

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _receiver.DisposeAsync();
        await _downstream.DisposeAsync();
        await _jwks.DisposeAsync();
        _data.Dispose();
    }

    async Task SendAsync(string webhookId, string body)
    {
        var ts = _receiver.Now;
        var signature = await NodeSigner.SignV1aAsync(_private, webhookId, ts, body);
        using var response = await _client.SendAsync(Receiver.Delivery("/webhooks/gemini/dynamic", webhookId,
            ts.ToString(CultureInfo.InvariantCulture), signature, body));
        Assert.Equal("""{"status":"accepted"}""", await response.Content.ReadAsStringAsync());
    }

    string Archived(string webhookId) =>
        File.Exists(ArchiveFile) ? string.Join('\n', File.ReadAllLines(ArchiveFile).Where(l => l.Contains(webhookId, StringComparison.Ordinal))) : "";

    string Forwarded(string jobId) =>
        string.Join('\n', _downstream.Requests.Where(r => r.Body.Contains(jobId, StringComparison.Ordinal)).Select(r => r.Body));

    /// <summary>Sends a bound delivery and waits until the archive, the forward and the code handler have all run.</summary>
    async Task<(string Token, string Body)> DeliverAsync(string webhookId, bool insideData)
    {
        var token = await DynamicBindingTests.NodeTokenAsync(DynamicBindingTests.Key1, _receiver.Now + 3600);
        var jobId = "batches/" + webhookId;
        var body = DynamicBindingTests.EventWith(new JsonObject { ["job"] = "nightly", ["geminihooks_token"] = token, ["team"] = "eval" },
            insideData, jobId);
        await SendAsync(webhookId, body);
        await Eventually.UntilAsync(() => Task.FromResult(Archived(webhookId).Length > 0 && Forwarded(jobId).Length > 0 &&
                                                          _seen.Events.Any(e => e.WebhookId == webhookId)), TimeSpan.FromSeconds(30));
        return (token, body);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Handlers_the_archive_the_forward_and_the_operator_API_never_see_the_token_while_the_store_keeps_the_exact_bytes(bool insideData)
    {
        var webhookId = insideData ? "msg_redact_data" : "msg_redact_top";
        var (token, body) = await DeliverAsync(webhookId, insideData);

        var handled = _seen.Events.Single(e => e.WebhookId == webhookId);
        var admin = await _client.GetStringAsync($"/admin/events/dynamic/{webhookId}");
        foreach (var (what, text) in new[]
                 {
                     ("handler's user_metadata", handled.Metadata ?? ""), ("handler's payload", handled.Payload),
                     ("archive", Archived(webhookId)), ("forward", Forwarded("batches/" + webhookId)), ("operator API", admin),
                 })
        {
            Assert.False(text.Contains(token, StringComparison.Ordinal), $"the {what} holds the token");
            Assert.False(text.Contains("geminihooks_token", StringComparison.Ordinal), $"the {what} holds the token's key");
            // Only the token goes: the rest of user_metadata is there.
            Assert.True(text.Contains("nightly", StringComparison.Ordinal) && text.Contains("eval", StringComparison.Ordinal), $"the {what} lost user_metadata");
        }
        var metadata = JsonNode.Parse(handled.Metadata!)!.AsObject();
        Assert.Equal(["job", "team"], metadata.Select(p => p.Key));

        var stored = await _receiver.Services.GetRequiredService<IEventStore>().GetEventAsync("dynamic", webhookId, CancellationToken.None);
        Assert.Equal(body, Encoding.UTF8.GetString(stored!.Body!.Value.Span));
    }

    [Fact]
    public async Task KeepTokenInPayloads_true_shows_the_token_again()
    {
        _receiver.WriteSettings(Settings(keep: true));
        var options = _receiver.Services.GetRequiredService<IOptionsMonitor<GeminiHooks.Configuration.GeminiHooksOptions>>();
        await Eventually.UntilAsync(() => Task.FromResult(options.CurrentValue.Dynamic.Binding.KeepTokenInPayloads));
        var (token, _) = await DeliverAsync("msg_keep", insideData: false);
        await Eventually.UntilAsync(async () =>
            (await _client.GetStringAsync("/admin/events/dynamic/msg_keep")).Contains(token, StringComparison.Ordinal));
        Assert.Contains(token, _seen.Events.Single(e => e.WebhookId == "msg_keep").Payload, StringComparison.Ordinal);
    }
}
