using System.Net;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Emulator;
using GeminiHooks.Cli.Tests.Infrastructure;

namespace GeminiHooks.Cli.Tests;

/// <summary>
/// The official JavaScript SDK (@google/genai on Node >= 22) drives the emulator through tests/js/sdk-webhooks.mjs,
/// run as the docs tell a user to run it; the pings it asks for reach a receiver and verify with npm standardwebhooks.
/// </summary>
public sealed class EmulatorSdkTests
{
    [Theory]
    [InlineData(null, "v1")]        // @google/genai 3.1's default
    [InlineData("v1beta", "v1beta")]
    public async Task The_sdk_creates_lists_gets_updates_pings_rotates_both_ways_and_deletes(string? apiVersion, string expectedPath)
    {
        var node = await Node.Node22PathAsync();
        var version = await RunVersionAsync(node);
        Assert.True(version >= 22, $"the SDK test must run on Node >= 22; {node} is {version}");

        var log = new LockedStringWriter();
        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Port = 0,
            Retry = RetrySchedule.Fast with { BaseDelay = TimeSpan.FromMilliseconds(100), MaxAttempts = 3 },
        }, log, CancellationToken.None);
        await using var receiver = await TestReceiver.StartAsync();
        string[] args = ["--base-url", emulator.Root(), "--api-key", "test-api-key", "--receiver-uri", receiver.Url.ToString()];
        if (apiVersion is not null)
            args = [.. args, "--api-version", apiVersion];

        var run = await Node.SdkAsync(args);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("all checks passed", run.Err, StringComparison.Ordinal);
        var report = JsonNode.Parse(run.Out)!.AsObject();
        Assert.Empty(report["failures"]!.AsArray());
        // Every call went to the API version asked for (or the SDK's default), and none to the other.
        var calls = log.ToString().Split('\n').Where(l => l.StartsWith("api: ", StringComparison.Ordinal)).ToList();
        Assert.True(calls.Count >= 12, log.ToString());
        Assert.All(calls, call => Assert.Contains($" /{expectedPath}/webhooks", call, StringComparison.Ordinal));
        Assert.Contains(calls, c => c.Contains(":rotateSigningSecret", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.StartsWith("api: DELETE", StringComparison.Ordinal));

        // The first ping is signed with the created secret; the second, sent during the 24-hour overlap, carries one
        // entry per live secret, and the independent verifier accepts it under either.
        var pings = report["pings"]!.AsArray().Select(p => (string)p!["delivery_id"]!).ToList();
        Assert.Equal(2, pings.Count);
        var first = receiver.Received.First(d => d.Id == pings[0]);
        var second = receiver.Received.First(d => d.Id == pings[1]);
        var created = (string)report["created_secret"]!;
        var rotated = (string)report["rotated_secret"]!;
        Assert.True(await VerifiesAsync(first, created));
        Assert.False(await VerifiesAsync(first, rotated));
        Assert.Equal(2, second.Signature.Split(' ').Count(e => e.StartsWith("v1,", StringComparison.Ordinal)));
        Assert.True(await VerifiesAsync(second, created));
        Assert.True(await VerifiesAsync(second, rotated));
        Assert.False(await VerifiesAsync(second, (string)report["revoked_secret"]!));
        Assert.Equal("webhook.ping", (string?)JsonNode.Parse(first.Body)!["type"]);
    }

    [Fact]
    public async Task The_sdk_reads_batches_and_a_bare_id_interaction_back_and_lists_batches_a_page_at_a_time()
    {
        // What reconciliation polls must parse in the official SDK too (tests/js/sdk-jobs.mjs).
        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions { Port = 0 }, TextWriter.Null, CancellationToken.None);
        var run = await Node.SdkScriptAsync("sdk-jobs.mjs", "--base-url", emulator.Root(), "--api-key", "test-api-key");
        Assert.True(run.ExitCode == 0, run.ToString());
        var report = JsonNode.Parse(run.Out)!;
        Assert.Equal("JOB_STATE_RUNNING", (string?)report["running"]);
        Assert.Equal("JOB_STATE_SUCCEEDED", (string?)report["finished"]);
        Assert.Equal(2, report["listed"]!.AsArray().Count);
        Assert.StartsWith("v1_", (string?)report["interaction"]!["id"], StringComparison.Ordinal);
        Assert.Equal("failed", (string?)report["interaction"]!["status"]);
    }

    [Theory]
    [InlineData("https://generativelanguage.googleapis.com", "test-key", "loopback")]
    [InlineData("http://10.0.0.1:8787", "test-key", "loopback")]
    [InlineData("http://127.0.0.1:9", "", "--api-key is required")]
    public async Task The_sdk_script_refuses_anything_but_loopback_and_a_missing_key_before_any_request(string baseUrl, string apiKey, string message)
    {
        var run = await Node.SdkAsync("--base-url", baseUrl, "--api-key", apiKey, "--receiver-uri", "http://127.0.0.1:9/hook");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task The_sdk_script_exits_non_zero_when_a_check_fails()
    {
        // An emulator that accepts only another key: every call fails, and the script says so in its exit code.
        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions { Port = 0, ApiKey = "the-right-key" }, TextWriter.Null, CancellationToken.None);
        var run = await Node.SdkAsync("--base-url", emulator.Root(), "--api-key", "a-wrong-key", "--receiver-uri", "http://127.0.0.1:9/hook");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("FAIL create", run.Err, StringComparison.Ordinal);
        Assert.NotEmpty(JsonNode.Parse(run.Out)!["failures"]!.AsArray());
    }

    [Fact]
    public async Task The_management_api_requires_an_api_key_and_is_served_under_v1_and_v1beta_only()
    {
        await using var emulator = await TestEmulator.StartAsync();
        using var http = new HttpClient { BaseAddress = emulator.Address };

        using var anonymous = await http.GetAsync(new Uri("/v1/webhooks", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("UNAUTHENTICATED", (string?)JsonNode.Parse(await anonymous.Content.ReadAsStringAsync())!["error"]!["status"]);

        http.DefaultRequestHeaders.Add("x-goog-api-key", "k");
        foreach (var version in new[] { "v1", "v1beta" })
        {
            using var served = await http.GetAsync(new Uri($"/{version}/webhooks", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
        using var other = await http.GetAsync(new Uri("/v2/webhooks", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Contains("use v1 or v1beta", await other.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    static async Task<bool> VerifiesAsync(ReceivedDelivery delivery, string secret)
    {
        var verdict = await Node.SignerAsync("verify-static", new JsonObject
        {
            ["secret"] = secret,
            ["headers"] = new JsonObject
            {
                ["webhook-id"] = delivery.Id,
                ["webhook-timestamp"] = delivery.Timestamp,
                ["webhook-signature"] = delivery.Signature,
            },
            ["body"] = delivery.Body,
        });
        return (bool)verdict["ok"]!;
    }

    static async Task<int> RunVersionAsync(string node)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(node, ["-p", "process.versions.node.split('.')[0]"])
        {
            RedirectStandardOutput = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
