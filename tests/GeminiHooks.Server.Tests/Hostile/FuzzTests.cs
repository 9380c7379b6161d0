using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>
/// Seeded fuzz over both delivery endpoints and the operator API: validly signed hostile bodies mixed with broken
/// headers, forged and tampered signatures, and operator requests with hostile paths, queries and keys. The run is
/// reproducible from its seed (GEMINIHOOKS_FUZZ_SEED overrides it; each worker draws from its own seeded generator).
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    const int Requests = 10_000;
    const int Workers = 8;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task Ten_thousand_hostile_requests_get_no_500_no_forgery_is_accepted_and_the_service_stays_healthy(string store)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GEMINIHOOKS_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261123;
        await using var host = await HostileHost.StartAsync(store);
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        var accepted = new ConcurrentDictionary<string, bool>();
        var sent = 0;

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(seed * 31 + worker);
            for (var i = worker; i < Requests; i += Workers)
            {
                var (request, kind, id) = Generate(host, random, worker, i, accepted.Keys);
                using (request)
                {
                    using var response = await host.Client.SendAsync(request);
                    Interlocked.Increment(ref sent);
                    var status = (int)response.StatusCode;
                    statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                    var text = await response.Content.ReadAsStringAsync();
                    if (status >= 500)
                        failures.Enqueue($"#{i} {kind}: {status} {text}");
                    if (kind == Kind.Forged && status == 200)
                        failures.Enqueue($"#{i} forged delivery accepted: {id}");
                    if (status >= 400 && response.Content.Headers.ContentType?.MediaType is { } media && media != "application/problem+json")
                        failures.Enqueue($"#{i} {kind}: {status} answered as {media}");
                    if (status == 200 && text == """{"status":"accepted"}""" && id is not null)
                        accepted[(kind == Kind.SignedDynamic ? "dynamic/" : "static/") + id] = true;
                }
            }
        })));

        output.WriteLine($"seed {seed}, store {store}: {sent} requests; " +
                         string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}")) +
                         $"; {accepted.Count} accepted deliveries");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(20)));
        Assert.Equal(Requests, sent);

        // Healthy afterwards: ready, takes a clean delivery, and every accepted delivery is stored and shown. The fuzz's
        // wrong admin keys had this client throttled (429, as intended): the throttle's window passes first.
        host.Receiver.Time.Advance(GeminiHooks.Admin.AdminFailureThrottle.Window);
        using (var ready = await host.Client.GetAsync("/readyz"))
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using (var clean = await host.Client.SendAsync(host.SignedStatic("msg_after_fuzz", Encoding.UTF8.GetBytes(Receiver.Event()))))
            Assert.Equal(HttpStatusCode.OK, clean.StatusCode);
        foreach (var key in accepted.Keys.Take(200))
        {
            using var shown = await host.Client.SendAsync(host.Admin(HttpMethod.Get, "/admin/events/" + key.Split('/')[0] + "/" + Uri.EscapeDataString(key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..])));
            Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        }
        // Every accepted delivery reaches the archive handler (dispatched, not dead-lettered).
        await Eventually.UntilAsync(async () =>
        {
            var backlog = await host.AdminJsonAsync("/admin/backlog");
            output.WriteLine(backlog.ToJsonString());
            return (long)backlog["succeeded"]! == accepted.Count + 1 && (long)backlog["dead"]! == 0;
        }, TimeSpan.FromSeconds(60));
    }

    enum Kind { SignedStatic, SignedDynamic, Forged, BrokenHeaders, Operator }

    static readonly string[] Types =
        ["batch.succeeded", "batch.failed", "interaction.completed", "video.generated", "unknown.kind", "x"];

    static (HttpRequestMessage Request, Kind Kind, string? Id) Generate(HostileHost host, Random random, int worker, int index,
        ICollection<string> accepted)
    {
        var id = $"msg_fz_{worker}_{index}";
        switch (random.Next(10))
        {
            case < 4:
            {
                var body = HostileBody(random);
                return random.Next(2) == 0
                    ? (host.SignedStatic(id, body, host.Now + random.Next(-60, 61)), Kind.SignedStatic, id)
                    : (host.SignedDynamic(id, body, host.Now + random.Next(-60, 61)), Kind.SignedDynamic, id);
            }
            case < 6:
                return (Forged(host, random, id), Kind.Forged, id);
            case < 8:
                return (BrokenHeaders(host, random, id), Kind.BrokenHeaders, null);
            default:
                return (Operator(host, random, accepted), Kind.Operator, null);
        }
    }

    /// <summary>A body Gemini could send, or one it never would: random bytes, hostile strings, odd structure.</summary>
    static byte[] HostileBody(Random random)
    {
        var type = Types[random.Next(Types.Length)];
        var valid = "{\"type\":\"" + type + "\",\"version\":\"v1\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"data\":{\"id\":\"batches/" + random.Next() + "\"}}";
        switch (random.Next(14))
        {
            case 0: return Encoding.UTF8.GetBytes(valid);
            case 1: return Encoding.ASCII.GetBytes("{\"type\":\"batch." + Escape(random) + "\",\"data\":{}}");
            case 2: return Encoding.ASCII.GetBytes("{\"type\":\"batch.succeeded\",\"data\":{\"id\":\"" + Escape(random) + "\",\"" + Escape(random) + "\":1}}");
            case 3:
            {
                var bytes = Encoding.UTF8.GetBytes(valid);
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            }
            case 4: return RandomBytes(random, random.Next(0, 300));
            case 5: return Encoding.UTF8.GetBytes(new string('[', random.Next(1, 200)) + new string(']', random.Next(0, 200)));
            case 6: return Encoding.UTF8.GetBytes(valid + (random.Next(2) == 0 ? "{}" : " x"));
            case 7: return Encoding.UTF8.GetBytes($$"""{"type":"{{new string('t', random.Next(150, 260))}}"}""");
            case 8: return Encoding.UTF8.GetBytes(random.Next(3) switch { 0 => "[]", 1 => "\"type\"", _ => "null" });
            case 9: return Encoding.UTF8.GetBytes("{\"type\":" + (random.Next(3) switch { 0 => "1", 1 => "null", _ => "{\"a\":1}" }) + ",\"data\":{}}");
            case 10: return Encoding.UTF8.GetBytes("{\"type\":\"" + type + "\",\"type\":\"" + type + "2\",\"data\":{\"nested\":" + new string('[', 60) + new string(']', 60) + "}}");
            case 11: return Encoding.UTF8.GetBytes("{\"type\":\"<script>alert('x')</script>\\u202e" + type + "\",\"data\":{\"id\":\"'; DROP TABLE events;--\",\"user_metadata\":{\"k\":\"\\u0000\\n\\t\"}}}");
            case 12: return Encoding.UTF8.GetBytes("{\"type\":\"" + type + "\",\"data\":{\"id\":\"" + new string('é', random.Next(1, 2000)) + "😀\"}}");
            default:
            {
                var prefix = Encoding.ASCII.GetBytes("""{"type":"batch.""");
                return [.. prefix, .. RandomBytes(random, random.Next(1, 8)), .. Encoding.ASCII.GetBytes("\"}")];
            }
        }
    }

    static string Escape(Random random) => random.Next(6) switch
    {
        0 => "\\ud800",
        1 => "\\udfff",
        2 => "\\ud83d\\ud83d",
        3 => "\\u0000",
        4 => "\\ud83d\\ude00", // a valid pair
        _ => "\\u" + random.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture),
    };

    static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A delivery whose signature does not match it: wrong secret, tampered body, id or timestamp, or garbage.</summary>
    static HttpRequestMessage Forged(HostileHost host, Random random, string id)
    {
        var body = HostileBody(random);
        var ts = host.Now.ToString(CultureInfo.InvariantCulture);
        var dynamic = random.Next(2) == 0;
        var signed = dynamic ? host.SignedDynamic(id, body) : host.SignedStatic(id, body);
        var signature = signed.Headers.GetValues("webhook-signature").Single();
        signed.Dispose();
        var path = dynamic ? HostileHost.DynamicPath : HostileHost.StaticPath;
        switch (random.Next(6))
        {
            case 0: // the body changed after signing
                var tampered = body.Length == 0 ? [(byte)'{'] : body.ToArray();
                tampered[random.Next(tampered.Length)] ^= (byte)(1 + random.Next(255));
                return HostileHost.Post(path, id, ts, signature, tampered);
            case 1: // replayed under another id
                return HostileHost.Post(path, id + "x", ts, signature, body);
            case 2: // another timestamp
                return HostileHost.Post(path, id, (host.Now + 1).ToString(CultureInfo.InvariantCulture), signature, body);
            case 3: // a signature flipped in one character (not the last ones: a base64 string's final character
                    // carries padding bits, and changing only those encodes the same MAC, which is no forgery)
                var chars = signature.ToCharArray();
                var at = random.Next(chars.IndexOf(',') + 1, chars.IndexOf(',') + 40);
                chars[at] = chars[at] == 'A' ? 'B' : 'A';
                return HostileHost.Post(path, id, ts, new string(chars), body);
            case 4: // a signature from the other endpoint's scheme
                using (var other = dynamic ? host.SignedStatic(id, body) : host.SignedDynamic(id, body))
                    return HostileHost.Post(path, id, ts, other.Headers.GetValues("webhook-signature").Single(), body);
            default: // a JWT-shaped garbage token
                return HostileHost.Post(path, id, ts,
                    $"{Convert.ToBase64String(RandomBytes(random, 20))}.{Convert.ToBase64String(RandomBytes(random, 40))}.{Convert.ToBase64String(RandomBytes(random, 30))}"
                        .Replace('+', '-').Replace('/', '_').Replace("=", "", StringComparison.Ordinal), body);
        }
    }

    static readonly string[] HeaderJunk =
        ["", " ", "v1,", "v1,@@@", "v1a,", "v2,abc", "v1,AAAA v1a,BBBB", ",,,", "v1," + new string('A', 20_000), "a.b.c", "..",
         "-1", "99999999999999999999", "1e9", "0x10", " 12", "NaN", "\t1"];

    static HttpRequestMessage BrokenHeaders(HostileHost host, Random random, string id)
    {
        var body = HostileBody(random);
        var path = random.Next(2) == 0 ? HostileHost.StaticPath : HostileHost.DynamicPath;
        var ts = host.Now.ToString(CultureInfo.InvariantCulture);
        string Junk() => HeaderJunk[random.Next(HeaderJunk.Length)];
        var request = random.Next(6) switch
        {
            0 => HostileHost.Post(path, null, ts, Junk(), body),
            1 => HostileHost.Post(path, id, Junk(), "v1,AAAA", body),
            2 => HostileHost.Post(path, id, ts, null, body),
            3 => HostileHost.Post(path, new string('i', random.Next(200, 400)), ts, Junk(), body),
            4 => HostileHost.Post(path, id, ts, Junk(), body),
            _ => HostileHost.Post(path, id, (host.Now - random.Next(400, 100_000)).ToString(CultureInfo.InvariantCulture), Junk(), body),
        };
        if (random.Next(8) == 0)
            request.Headers.TryAddWithoutValidation("webhook-id", "second-id"); // repeated header
        if (random.Next(8) == 0)
            request.Content!.Headers.ContentType = null;
        return request;
    }

    static readonly string[] Segments =
        ["static", "dynamic", "x", "%00", "%ff%fe", "%ed%a0%80", "..%2f..%2fetc%2fpasswd", "%22%3Cscript%3E", "msg_fz_0_0", new string('a', 3000)];

    static HttpRequestMessage Operator(HostileHost host, Random random, ICollection<string> accepted)
    {
        string Segment() => Segments[random.Next(Segments.Length)];
        var key = random.Next(6) switch { 0 => null, 1 => "wrong", 2 => HostileHost.AdminKey + " ", _ => HostileHost.AdminKey };
        var known = accepted.Count > 0 && random.Next(2) == 0 ? accepted.ElementAt(random.Next(Math.Min(accepted.Count, 50))) : null;
        return random.Next(7) switch
        {
            0 => host.Admin(HttpMethod.Get, $"/admin/events?status={Segment()}&limit={HeaderJunk[random.Next(HeaderJunk.Length)].Trim()}&cursor={Segment()}&type={Segment()}", key),
            1 => host.Admin(HttpMethod.Get, "/admin/events?limit=" + random.Next(-5, 600), key),
            2 => host.Admin(HttpMethod.Get, known is not null ? "/admin/events/" + known : $"/admin/events/{Segment()}/{Segment()}", key),
            3 => host.Admin(HttpMethod.Post, (known is not null ? "/admin/events/" + known : $"/admin/events/{Segment()}/{Segment()}") +
                                             "/replay?handler=" + (random.Next(2) == 0 ? "archive" : Segment()), key),
            4 => host.Admin(HttpMethod.Post, "/admin/dead-letters/replay?type=" + Segment(), key),
            5 => host.Admin(HttpMethod.Get, "/admin/backlog", key),
            _ => host.Admin(random.Next(2) == 0 ? HttpMethod.Delete : HttpMethod.Put, "/admin/events/" + Segment(), key),
        };
    }
}
