using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>
/// What an unauthenticated request can make the receiver do is bounded: a small signature header, printable ids, and
/// the timestamp window checked before a byte of the body is read.
/// </summary>
public class BoundedBeforeAuthenticationTests
{
    static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task A_dynamic_header_of_170_v1a_entries_is_refused_unread_and_a_valid_entry_among_a_few_still_verifies()
    {
        await using var host = await HostileHost.StartAsync("Sqlite");
        var body = Encoding.UTF8.GetBytes(Receiver.Event());
        using var signed = host.SignedDynamic("msg_many_entries", body);
        var valid = signed.Headers.GetValues("webhook-signature").Single();
        var junk = Enumerable.Range(0, 169).Select(_ => "v1a," + Convert.ToBase64String(RandomNumberGenerator.GetBytes(64))).ToList();
        var ts = host.Now.ToString(CultureInfo.InvariantCulture);

        using (var many = await host.Client.SendAsync(HostileHost.Post(HostileHost.DynamicPath, "msg_many_entries", ts,
                   string.Join(' ', junk) + " " + valid, body)))
        {
            var problem = await ProblemAsync(many, HttpStatusCode.BadRequest);
            Assert.Contains("(webhook_signature_too_long)", (string)problem["detail"]!);
        }
        // Three junk entries and the valid one fit in 1 KiB and are all considered.
        using var few = await host.Client.SendAsync(HostileHost.Post(HostileHost.DynamicPath, "msg_many_entries", ts,
            string.Join(' ', junk.Take(3)) + " " + valid, body));
        Assert.Equal(HttpStatusCode.OK, few.StatusCode);
    }

    [Fact]
    public async Task One_JWT_may_be_up_to_8_KiB_on_the_dynamic_endpoint_while_entries_and_static_headers_stop_at_1_KiB()
    {
        await using var host = await HostileHost.StartAsync("Sqlite");
        var body = Encoding.UTF8.GetBytes(Receiver.Event());
        var ts = host.Now.ToString(CultureInfo.InvariantCulture);
        static string Segment(int length) => new string('A', length);
        async Task<JsonNode> Send(string path, string signature, HttpStatusCode status)
        {
            using var response = await host.Client.SendAsync(HostileHost.Post(path, "msg_long_signature", ts, signature, body));
            return await ProblemAsync(response, status);
        }

        // A 3 KiB token is read as a token (and refused as one, unsigned junk), not as a header too long.
        var token = $"{Segment(40)}.{Segment(2600)}.{Segment(400)}";
        Assert.DoesNotContain("webhook_signature_too_long", (string)(await Send(HostileHost.DynamicPath, token, HttpStatusCode.Unauthorized))["detail"]!);
        Assert.Contains("webhook_signature_too_long", (string)(await Send(HostileHost.DynamicPath, $"{Segment(40)}.{Segment(8200)}.{Segment(400)}", HttpStatusCode.BadRequest))["detail"]!);
        Assert.Contains("webhook_signature_too_long", (string)(await Send(HostileHost.StaticPath, token, HttpStatusCode.BadRequest))["detail"]!);
    }

    [Theory]
    [InlineData("msg_\u001b[31mred")]
    [InlineData("msg_tab\there")]
    [InlineData("msg_\u007f")]
    public async Task A_webhook_id_with_a_character_that_is_not_printable_ASCII_is_400_naming_the_reason(string id)
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path);
        using var client = receiver.Start();
        using var response = await client.SendAsync(receiver.SignedStatic(id, Receiver.Event()));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("webhook_id_not_printable", (string)problem["detail"]!);
        using var clean = await client.SendAsync(receiver.SignedStatic("msg_printable-id_1.2:3", Receiver.Event()));
        Assert.Equal(HttpStatusCode.OK, clean.StatusCode);
    }

    [Fact]
    public async Task A_timestamp_outside_the_window_is_answered_401_at_once_while_the_announced_body_never_arrives()
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path);
        using var client = receiver.Start();
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, client.BaseAddress!.Port);
        var stream = socket.GetStream();
        var stale = (receiver.Now - 3600).ToString(CultureInfo.InvariantCulture);
        var head = "POST /webhooks/gemini HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n" +
                   $"webhook-id: msg_stale\r\nwebhook-timestamp: {stale}\r\nwebhook-signature: v1,AAAA\r\n\r\n";
        var watch = Stopwatch.StartNew();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));

        // No body byte is ever sent: a receiver that read the body first would wait for it until its read timed out.
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var read = await stream.ReadAsync(buffer, deadline.Token);
        var answer = Encoding.ASCII.GetString(buffer, 0, read);
        Assert.StartsWith("HTTP/1.1 401", answer);
        Assert.Contains("timestamp", answer);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"the 401 took {watch.Elapsed}");
    }
}
