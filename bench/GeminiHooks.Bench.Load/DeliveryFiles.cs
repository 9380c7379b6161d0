using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Verification;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GeminiHooks.Bench.Load;

/// <summary>
/// Pre-signed deliveries for wrk, whose Lua cannot sign: one file per wrk thread (each thread reads its own slice),
/// one delivery a line as <c>webhook-id TAB webhook-timestamp TAB webhook-signature TAB body</c>. Compact JSON has no
/// raw tab or newline, so the line format needs no escaping. Every line has its own webhook-id.
/// </summary>
static class DeliveryFiles
{
    static readonly string[] Types = ["batch.succeeded", "interaction.completed", "video.generated", "batch.failed"];

    public static async Task<int> GenerateAsync(Arguments args)
    {
        var scenario = args.Required("scenario");
        var keys = args.Required("keys");
        var count = args.Int("count", 100_000);
        var threads = args.Int("threads", 2);
        var prefix = args.Required("out");
        var tag = args.Optional("tag", scenario);
        // Signed "now": the bench uses each file within a minute or two, well inside the receiver's 5-minute window.
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var started = Stopwatch.GetTimestamp();
        var run = Guid.NewGuid().ToString("N")[..8];

        var lines = new string[count];
        switch (scenario)
        {
            case "static":
            {
                var key = StandardWebhooks.DecodeSecret(KeyMaterial.Secret(keys));
                Parallel.For(0, count, i =>
                {
                    var (id, body) = Delivery(tag, run, i, timestamp);
                    lines[i] = Line(id, timestamp, StandardWebhooks.SignV1(key, id, timestamp, Encoding.UTF8.GetBytes(body)), body);
                });
                break;
            }
            case "v1a":
            {
                using var key = KeyMaterial.Ed25519(keys);
                Parallel.For(0, count, i =>
                {
                    var (id, body) = Delivery(tag, run, i, timestamp);
                    // No key id in the entry, as in live traffic: the receiver finds the key among the JWKS's three.
                    lines[i] = Line(id, timestamp, StandardWebhooks.SignV1a(key, id, timestamp, Encoding.UTF8.GetBytes(body)), body);
                });
                break;
            }
            case "jwt":
            {
                // RSA signing is the slow part (about a millisecond a token): every core, each with its own key object.
                Parallel.For(0, count, () => (Handler: new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false },
                        Credentials: new SigningCredentials(KeyMaterial.Rsa(keys), SecurityAlgorithms.RsaSha256)),
                    (i, _, signer) =>
                    {
                        var (id, body) = Delivery(tag, run, i, timestamp);
                        lines[i] = Line(id, timestamp, Jwt(signer.Handler, signer.Credentials, id, timestamp, body), body);
                        return signer;
                    },
                    _ => { });
                break;
            }
            default:
                throw new ArgumentException("--scenario must be static, v1a or jwt");
        }

        for (var t = 0; t < threads; t++)
        {
            await using var writer = new StreamWriter(prefix + "." + t.ToString(CultureInfo.InvariantCulture) + ".tsv", false,
                new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16);
            // Contiguous slices: thread t sends lines [t*count/threads, (t+1)*count/threads).
            for (var i = t * count / threads; i < (t + 1) * count / threads; i++)
                await writer.WriteAsync(lines[i]);
        }
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"generated {count} {scenario} deliveries in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s"));
        return 0;
    }

    static string Line(string id, long timestamp, string signature, string body) =>
        string.Create(CultureInfo.InvariantCulture, $"{id}\t{timestamp}\t{signature}\t{body}\n");

    /// <summary>A realistic thin envelope of a catalog type, about 200 bytes, with ids unique to the delivery.</summary>
    internal static (string Id, string Body) Delivery(string tag, string run, int i, long timestamp)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"msg_{tag}_{run}_{i:D8}");
        var type = Types[i % Types.Length];
        var at = DateTimeOffset.FromUnixTimeSeconds(timestamp).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var data = type switch
        {
            "batch.succeeded" => new JsonObject { ["id"] = $"batches/{run}{i}", ["output_file_uri"] = $"gs://bench-bucket/batches/{run}{i}/output.jsonl" },
            "interaction.completed" => new JsonObject { ["id"] = $"interactions/{run}{i}", ["output"] = new JsonObject { ["text"] = "done" } },
            "video.generated" => new JsonObject { ["id"] = $"files/{run}{i}", ["video_uri"] = $"https://bench.invalid/v/{run}{i}.mp4", ["file_name"] = "clip.mp4" },
            _ => new JsonObject { ["id"] = $"batches/{run}{i}", ["error_code"] = "RESOURCE_EXHAUSTED", ["error_message"] = "quota" },
        };
        var envelope = new JsonObject { ["type"] = type, ["version"] = "v1", ["timestamp"] = at, ["data"] = data };
        return (id, envelope.ToJsonString());
    }

    /// <summary>An RS256 token as Gemini's docs describe it: jti is the webhook-id, and a claim covers each top-level key of the body.</summary>
    static string Jwt(JsonWebTokenHandler handler, SigningCredentials credentials, string id, long timestamp, string body)
    {
        using var envelope = JsonDocument.Parse(body);
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(timestamp).UtcDateTime;
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = KeyMaterial.Issuer,
            Audience = KeyMaterial.Audience,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = issuedAt.AddMinutes(5),
            Claims = new Dictionary<string, object>
            {
                ["jti"] = id,
                ["type"] = envelope.RootElement.GetProperty("type").GetString()!,
                ["version"] = envelope.RootElement.GetProperty("version").GetString()!,
                ["timestamp"] = envelope.RootElement.GetProperty("timestamp").GetString()!,
                ["data"] = envelope.RootElement.GetProperty("data").Clone(),
            },
            SigningCredentials = credentials,
        });
    }
}
