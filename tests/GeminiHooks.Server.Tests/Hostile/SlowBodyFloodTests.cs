using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>
/// 2,000 loopback connections that announce a 256 KiB body and send 16 bytes of it: the server's managed heap grows with
/// the bytes received, not with what was announced (500 MiB), ordinary deliveries are still answered meanwhile, and the
/// minimum body data rate ends the slow ones by itself. The heap is the test process's own (the server runs in it), so
/// the class runs alone.
/// </summary>
[Collection(nameof(AloneInProcess))]
public class SlowBodyFloodTests(ITestOutputHelper output)
{
    const int Connections = 2_000;
    const int Announced = 256 * 1024;

    /// <summary>The managed heap: what the objects allocated take, whether or not their pages were ever touched.</summary>
    static long Heap() => GC.GetTotalMemory(forceFullCollection: false);

    [Fact]
    public async Task Two_thousand_slow_bodies_keep_the_servers_memory_bounded_and_ordinary_deliveries_answered()
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            // The flood comes from one address: this test is about memory and connections, not the rate limit.
            ["GeminiHooks:RateLimit:PermitLimit"] = "1000000",
        });
        using var client = receiver.Start();
        var port = client.BaseAddress!.Port;
        for (var i = 0; i < 20; i++)
        {
            using var warm = await client.SendAsync(receiver.SignedStatic($"msg_warm_{i}", Receiver.Event()));
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }
        var before = GC.GetTotalMemory(forceFullCollection: true);

        var sockets = new List<TcpClient>(Connections);
        try
        {
            var ts = receiver.Now.ToString(CultureInfo.InvariantCulture);
            for (var i = 0; i < Connections; i++)
            {
                var socket = new TcpClient();
                sockets.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, port);
                var head = $"POST /webhooks/gemini HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {Announced}\r\n" +
                           $"webhook-id: msg_slow_{i}\r\nwebhook-timestamp: {ts}\r\nwebhook-signature: v1,AAAA\r\n\r\n" + "{\"type\":\"batch.s";
                await socket.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head));
            }

            // While they hang: ordinary deliveries are answered, and the server's memory is sampled.
            var peak = Heap();
            for (var i = 0; i < 20; i++)
            {
                using var ordinary = await client.SendAsync(receiver.SignedStatic($"msg_during_{i}", Receiver.Event()));
                Assert.Equal(HttpStatusCode.OK, ordinary.StatusCode);
                peak = Math.Max(peak, Heap());
                await Task.Delay(50);
            }
            for (var i = 0; i < 20; i++)
            {
                peak = Math.Max(peak, Heap());
                await Task.Delay(100);
            }
            var growth = peak - before;
            output.WriteLine($"managed heap before {before / 1048576.0:0.0} MiB, peak with {Connections} slow bodies {peak / 1048576.0:0.0} MiB " +
                             $"(+{growth / 1048576.0:0.0} MiB; announced {(long)Connections * Announced / 1048576} MiB)");
            // Allocating what was announced would take 500 MiB; a few KiB per connection is what the bound allows.
            Assert.True(growth < 100L * 1024 * 1024, $"the heap grew by {growth / 1048576.0:0.0} MiB");

            // The minimum data rate (1 KiB/s after 5 s) ends the slow ones: each gets its 408 and is closed.
            var first = sockets[0].GetStream();
            var buffer = new byte[1024];
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var read = await first.ReadAsync(buffer, deadline.Token);
            Assert.StartsWith("HTTP/1.1 408", Encoding.ASCII.GetString(buffer, 0, read));
        }
        finally
        {
            foreach (var socket in sockets)
                socket.Dispose();
        }
        using var after = await client.SendAsync(receiver.SignedStatic("msg_after_flood", Receiver.Event()));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
