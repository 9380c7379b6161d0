using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>The smaller answers of the hostile-input report, each checked on the wire.</summary>
public class SmallItemsTests
{
    [Fact]
    public async Task A_body_trickled_until_the_read_times_out_is_408_not_413()
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path);
        using var client = receiver.Start();
        var port = client.BaseAddress!.Port;
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var stream = socket.GetStream();
        var ts = receiver.Now.ToString(CultureInfo.InvariantCulture);
        var head = "POST /webhooks/gemini HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n" +
                   $"webhook-id: msg_trickle\r\nwebhook-timestamp: {ts}\r\nwebhook-signature: v1,AAAA\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        // One byte a second is far below Kestrel's minimum body data rate (240 bytes/s after a 5 s grace period).
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var reading = stream.ReadAsync(buffer, deadline.Token).AsTask();
        while (!reading.IsCompleted && !deadline.IsCancellationRequested)
        {
            try { await stream.WriteAsync("{"u8.ToArray(), deadline.Token); }
            catch (IOException) { break; }
            await Task.WhenAny(reading, Task.Delay(1000, deadline.Token));
        }
        var read = await reading;
        answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        Assert.StartsWith("HTTP/1.1 408", answer.ToString());
    }

    [Fact]
    public async Task Problem_details_show_apostrophes_as_written_and_the_429_body_has_a_type()
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = "admin-key-0123456789abcdef012345",
            ["GeminiHooks:RateLimit:Enabled"] = "true",
            ["GeminiHooks:RateLimit:PermitLimit"] = "1",
            ["GeminiHooks:RateLimit:Window"] = "01:00:00",
        });
        using var client = receiver.Start();
        using (var first = await client.SendAsync(receiver.SignedStatic("msg_one", Receiver.Event())))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var admin = new HttpRequestMessage(HttpMethod.Post, "/admin/events/static/msg_one/replay?handler=nobody");
        admin.Headers.TryAddWithoutValidation("Authorization", "Bearer admin-key-0123456789abcdef012345");
        using var bad = await client.SendAsync(admin);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var text = await bad.Content.ReadAsStringAsync();
        Assert.Contains("'nobody'", text);
        Assert.DoesNotContain("\\u0027", text);

        using var limited = await client.SendAsync(receiver.SignedStatic("msg_two", Receiver.Event()));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var problem = JsonNode.Parse(await limited.Content.ReadAsStringAsync())!;
        Assert.False(string.IsNullOrEmpty((string?)problem["type"]));
        Assert.Equal(429, (int)problem["status"]!);
    }
}
