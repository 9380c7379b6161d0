using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GeminiHooks.Cli.Emulator;
using GeminiHooks.Cli.Tests.Infrastructure;
using GeminiHooks.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GeminiHooks.Cli.Tests;

/// <summary>
/// What the CLI and the emulator say about Gemini: the seven subscribable types, enum spelling, the retry presets,
/// the behaviours that are assumptions (and can be changed), and answers that lack fields the emulator always sends.
/// </summary>
public sealed partial class GeminiFidelityTests
{
    static readonly string[] Seven =
        ["batch.succeeded", "batch.expired", "batch.failed", "interaction.requires_action", "interaction.completed", "interaction.failed", "video.generated"];

    static readonly string[] Retired = ["batch.cancelled", "interaction.cancelled", "batch.completed"];

    public static TheoryData<string> SubscribableTypes => [.. Seven];

    [Fact]
    public void The_library_catalog_is_the_seven_types_of_the_sdk_enums()
    {
        Assert.Equal(Seven.Order(StringComparer.Ordinal), GeminiEventTypes.Subscribable.Order(StringComparer.Ordinal));
        // Still read by the receiver, never offered.
        Assert.All(Retired, t =>
        {
            Assert.False(GeminiEventTypes.IsSubscribable(t));
            Assert.Contains(t, GeminiEventTypes.Known);
        });
    }

    [Theory, MemberData(nameof(SubscribableTypes))]
    public async Task Webhooks_create_against_the_emulator_succeeds_for_each_subscribable_type(string type)
    {
        await using var emulator = await TestEmulator.StartAsync();
        var created = await CliRunner.RunAsync("webhooks", "create", "--uri", "http://127.0.0.1:9/hook", "--event", type,
            "--json", "--base-url", emulator.Root(), "--api-key", "k");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal([type], JsonNode.Parse(created.Out)!["subscribed_events"]!.AsArray().Select(e => (string)e!));
    }

    [Theory]
    [InlineData("batch.cancelled")]
    [InlineData("interaction.cancelled")]
    [InlineData("batch.completed")]
    [InlineData("model.tuned")]
    public async Task Webhooks_create_and_update_with_an_unsubscribable_type_fail_naming_the_seven(string type)
    {
        await using var emulator = await TestEmulator.StartAsync();
        string[] Api(params string[] args) => [.. args, "--base-url", emulator.Root(), "--api-key", "k"];

        var refused = await CliRunner.RunAsync(Api("webhooks", "create", "--uri", "http://127.0.0.1:9/hook", "--event", $"batch.succeeded,{type}"));

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("400", refused.Err, StringComparison.Ordinal);
        Assert.Contains($"'{type}' is not a subscribable event type", refused.Err, StringComparison.Ordinal);
        Assert.All(Seven, t => Assert.Contains(t, refused.Err, StringComparison.Ordinal));
        Assert.Contains("no webhooks", (await CliRunner.RunAsync(Api("webhooks", "list"))).Out, StringComparison.Ordinal);

        var created = await CliRunner.RunAsync(Api("webhooks", "create", "--uri", "http://127.0.0.1:9/hook", "--event", "batch.succeeded", "--json"));
        var id = (string)JsonNode.Parse(created.Out)!["id"]!;
        var update = await CliRunner.RunAsync(Api("webhooks", "update", id, "--event", type));
        Assert.Equal(1, update.ExitCode);
        Assert.Contains("video.generated", update.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allow_unlisted_events_lets_a_webhook_subscribe_to_a_cancelled_type_and_receive_it()
    {
        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions { Port = 0, AllowUnlistedEventTypes = true }, TextWriter.Null, CancellationToken.None);
        await using var receiver = await TestReceiver.StartAsync();
        var created = await CliRunner.RunAsync("webhooks", "create", "--uri", receiver.Url.ToString(), "--event", "batch.cancelled",
            "--base-url", emulator.Root(), "--api-key", "k");
        Assert.True(created.ExitCode == 0, created.ToString());

        var fired = await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "batch.cancelled", "--wait");

        Assert.True(fired.ExitCode == 0, fired.ToString());
        Assert.Equal("batch.cancelled", (string?)JsonNode.Parse(Assert.Single(receiver.Received).Body)!["type"]);
    }

    [Theory]
    [InlineData("send")]
    [InlineData("emulate trigger")]
    [InlineData("webhooks create")]
    public async Task Help_lists_exactly_the_seven_subscribable_types(string command)
    {
        var help = await CliRunner.RunAsync([.. command.Split(' '), "--help"]);
        Assert.Equal(0, help.ExitCode);
        var named = EventName().Matches(help.Out).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(Seven.Order(StringComparer.Ordinal), named.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_video_generated_sample_carries_the_guides_fields_and_the_older_ones()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var sent = await CliRunner.RunAsync("send", "--url", receiver.Url.ToString(), "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--type", "video.generated");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var data = JsonNode.Parse(Assert.Single(receiver.Received).Body)!["data"]!;
        // The current guide: id (the operation, as the SDKs name it), output_file_uri, file_name.
        Assert.Matches("^models/[a-z0-9.-]+/operations/[a-z0-9-]+$", (string?)data["id"]);
        Assert.StartsWith("https://", (string?)data["output_file_uri"], StringComparison.Ordinal);
        Assert.StartsWith("files/", (string?)data["file_name"], StringComparison.Ordinal);
        // The superseded guide's, which the cookbook reads.
        Assert.Equal((string?)data["output_file_uri"], (string?)data["video_uri"]);
        Assert.Equal((string?)data["file_name"], "files/" + (string?)data["file_id"]);
    }

    [Fact]
    public async Task Uppercase_enum_values_from_the_docs_samples_are_accepted_with_a_warning()
    {
        var log = new LockedStringWriter();
        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions { Port = 0 }, log, CancellationToken.None);
        string[] Api(params string[] args) => [.. args, "--base-url", emulator.Root(), "--api-key", "k"];
        var id = (string)JsonNode.Parse((await CliRunner.RunAsync(Api("webhooks", "create", "--uri", "http://127.0.0.1:9/hook", "--event", "batch.succeeded", "--json"))).Out)!["id"]!;

        // The CLI: accepted, sent in lowercase, with a warning.
        var rotated = await CliRunner.RunAsync(Api("webhooks", "rotate", id, "--revocation", "REVOKE_PREVIOUS_SECRETS_AFTER_H24"));
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        Assert.Contains("warning: --revocation REVOKE_PREVIOUS_SECRETS_AFTER_H24: sending 'revoke_previous_secrets_after_h24'", rotated.Err, StringComparison.Ordinal);
        Assert.Contains("(expires ", (await CliRunner.RunAsync(Api("webhooks", "get", id))).Out, StringComparison.Ordinal);

        // The emulator, called directly as the docs' curl samples do: accepted, with a warning in its log.
        using var http = new HttpClient { BaseAddress = emulator.Address };
        http.DefaultRequestHeaders.Add("x-goog-api-key", "k");
        using var answer = await http.PostAsJsonAsync(new Uri($"/v1/webhooks/{id}:rotateSigningSecret", UriKind.Relative),
            new { revocation_behavior = "REVOKE_PREVIOUS_SECRETS_IMMEDIATELY" });
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("warning: revocation_behavior 'REVOKE_PREVIOUS_SECRETS_IMMEDIATELY' accepted as 'revoke_previous_secrets_immediately'", log.ToString(), StringComparison.Ordinal);
        Assert.Single(JsonNode.Parse(await http.GetStringAsync(new Uri($"/v1/webhooks/{id}", UriKind.Relative)))!["signing_secrets"]!.AsArray());
        using var nonsense = await http.PostAsJsonAsync(new Uri($"/v1/webhooks/{id}:rotateSigningSecret", UriKind.Relative), new { revocation_behavior = "SOMETIME" });
        Assert.Equal(HttpStatusCode.BadRequest, nonsense.StatusCode);
    }

    [Fact]
    public async Task Absent_create_and_update_times_are_printed_as_a_dash()
    {
        // An answer shaped as the live API's has been seen: no create_time / update_time.
        const string webhook = """{"id":"wh1","name":"live","uri":"https://hooks.example/gemini","subscribed_events":["batch.succeeded"],"state":"enabled"}""";
        await using var api = await StubApi.StartAsync(webhook);

        var got = await CliRunner.RunAsync("webhooks", "get", "wh1", "--base-url", api.Root, "--api-key", "k");
        Assert.True(got.ExitCode == 0, got.ToString());
        Assert.Contains("created: -" + Environment.NewLine, got.Out + Environment.NewLine, StringComparison.Ordinal);
        Assert.Contains("updated: -" + Environment.NewLine, got.Out + Environment.NewLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_gemini_preset_and_a_moved_clock_attempts_span_24_hours_and_then_stop()
    {
        var start = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions { Port = 0, Retry = RetrySchedule.Gemini, Time = time },
            TextWriter.Null, CancellationToken.None);
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = _ => 503;
        var created = await CliRunner.RunAsync("webhooks", "create", "--uri", receiver.Url.ToString(), "--event", "batch.failed", "--json",
            "--base-url", emulator.Root(), "--api-key", "k");
        var webhookId = (string)JsonNode.Parse(created.Out)!["id"]!;
        using var http = new HttpClient { BaseAddress = emulator.Address };
        using var trigger = await http.PostAsJsonAsync(new Uri("/emulator/trigger", UriKind.Relative), new { type = "batch.failed" });
        var deliveryId = (string)JsonNode.Parse(await trigger.Content.ReadAsStringAsync())!["deliveries"]![0]!["id"]!;
        var record = emulator.Engine.Find(deliveryId)!;

        // Move the clock to each retry's due time, as soon as the emulator has scheduled it.
        for (var attempt = 1; attempt < 200; attempt++)
        {
            await Eventually.UntilAsync(() => record.State != "pending" || (record.Attempts.Count == attempt && record.NextAttemptTime is not null),
                $"attempt {attempt} to be made and the next one scheduled");
            if (record.State != "pending")
                break;
            var due = DateTimeOffset.Parse(record.NextAttemptTime!, CultureInfo.InvariantCulture);
            time.Advance(due - time.GetUtcNow());
        }

        Assert.Equal("failed", record.State);
        var times = record.Attempts.Select(a => DateTimeOffset.Parse(a.Time, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(start, times[0]);
        Assert.Equal(start + TimeSpan.FromHours(24), times[^1]);
        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToList();
        Assert.Equal(TimeSpan.FromMinutes(1), gaps[0]);
        Assert.Equal(TimeSpan.FromMinutes(2), gaps[1]);
        Assert.All(gaps.Take(gaps.Count - 1), g => Assert.True(g <= TimeSpan.FromHours(2), $"gap {g}"));
        Assert.All(gaps.Zip(gaps.Skip(1)).SkipLast(1), pair => Assert.True(pair.Second >= pair.First, "backoff never shrinks"));
        Assert.Equal(times.Count, receiver.Received.Count);
        Assert.Single(receiver.Received.Select(r => r.Id).Distinct());

        // Nothing more, however far the clock moves.
        time.Advance(TimeSpan.FromDays(3));
        await Task.Delay(300);
        Assert.Equal(times.Count, receiver.Received.Count);
        Assert.Equal("disabled_due_to_failed_deliveries", emulator.Registry.Get(webhookId)!.State);
    }

    [Fact]
    public async Task Disabling_after_failed_deliveries_is_configurable()
    {
        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Port = 0,
            Retry = RetrySchedule.Fast with { MaxAttempts = 1 },
            DisableAfterFailedDeliveries = 2,
        }, TextWriter.Null, CancellationToken.None);
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = _ => 500;
        var id = (string)JsonNode.Parse((await CliRunner.RunAsync("webhooks", "create", "--uri", receiver.Url.ToString(), "--event", "batch.failed",
            "--json", "--base-url", emulator.Root(), "--api-key", "k")).Out)!["id"]!;

        await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "batch.failed", "--wait");
        Assert.Equal("enabled", emulator.Registry.Get(id)!.State);
        await CliRunner.RunAsync("emulate", "trigger", "--emulator", emulator.Root(), "--type", "batch.failed", "--wait");
        Assert.Equal("disabled_due_to_failed_deliveries", emulator.Registry.Get(id)!.State);
    }

    [Fact]
    public async Task The_ping_body_is_configurable()
    {
        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Port = 0,
            PingType = "webhook.test",
            PingData = new JsonObject { ["message"] = "hello" },
        }, TextWriter.Null, CancellationToken.None);
        await using var receiver = await TestReceiver.StartAsync();
        string[] Api(params string[] args) => [.. args, "--base-url", emulator.Root(), "--api-key", "k"];
        var id = (string)JsonNode.Parse((await CliRunner.RunAsync(Api("webhooks", "create", "--uri", receiver.Url.ToString(), "--event", "batch.failed", "--json"))).Out)!["id"]!;

        Assert.Equal(0, (await CliRunner.RunAsync(Api("webhooks", "ping", id))).ExitCode);

        await receiver.WaitForAsync(1, "the ping");
        var body = JsonNode.Parse(receiver.Received[0].Body)!;
        Assert.Equal("webhook.test", (string?)body["type"]);
        Assert.Equal("hello", (string?)body["data"]!["message"]);
    }

    [Fact]
    public async Task Emulate_help_labels_the_assumptions_and_names_both_presets()
    {
        var help = await CliRunner.RunAsync("emulate", "--help");
        Assert.Contains("--retry-schedule", help.Out, StringComparison.Ordinal);
        Assert.Contains("gemini", help.Out, StringComparison.Ordinal);
        Assert.Contains("fast", help.Out, StringComparison.Ordinal);
        Assert.Contains("24 hours", help.Out, StringComparison.Ordinal);
        Assert.True(Regex.Count(help.Out, "[Aa]ssumption") >= 3, help.Out);
        Assert.Contains("--disable-after", help.Out, StringComparison.Ordinal);
        Assert.Contains("--ping-type", help.Out, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\b(?:batch|interaction|video)\.[a-z_]+\b")]
    private static partial Regex EventName();

    /// <summary>A stand-in answering every webhooks GET with one fixed resource, as a live API answer might look.</summary>
    sealed class StubApi(WebApplication app, string root) : IAsyncDisposable
    {
        public string Root { get; } = root;

        public static async Task<StubApi> StartAsync(string webhookJson)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapGet("/{version}/webhooks/{id}", () => Results.Text(webhookJson, "application/json"));
            await app.StartAsync();
            return new StubApi(app, app.Urls.First().TrimEnd('/'));
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
