using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>
/// Validly signed deliveries with bytes no text type can hold: each is answered with a 4xx problem before the store,
/// the same on both endpoints and both stores, and nothing stored or archived is lost because of such a string.
/// </summary>
public class HostileInputTests
{
    static byte[] Bytes(string ascii) => Encoding.ASCII.GetBytes(ascii);

    static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>The hostile bodies of the report, by name, and the problem each must get.</summary>
    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var store in (string[])["Sqlite", "Postgres"])
        foreach (var endpoint in (string[])["static", "dynamic"])
        {
            data.Add(store, endpoint, "surrogate escape in type");
            data.Add(store, endpoint, "invalid UTF-8 in type");
            data.Add(store, endpoint, "surrogate escape in data");
            data.Add(store, endpoint, "invalid UTF-8 in a property name");
            data.Add(store, endpoint, "NUL in type");
        }
        return data;
    }

    static (byte[] Body, string Reason) Hostile(string name) => name switch
    {
        "surrogate escape in type" => (Bytes("""{"type":"batch.\ud800","data":{"id":"batches/1"}}"""), "body_not_text"),
        "invalid UTF-8 in type" => (Concat(Bytes("{\"type\":\"batch."), [0xC3, 0x28], Bytes("\",\"data\":{}}")), "body_not_text"),
        "surrogate escape in data" => (Bytes("""{"type":"batch.succeeded","data":{"id":"batches/\udc00x"}}"""), "body_not_text"),
        "invalid UTF-8 in a property name" => (Concat(Bytes("{\"type\":\"batch.succeeded\",\"data\":{\""), [0xFF], Bytes("\":1}}")), "body_not_text"),
        "NUL in type" => (Bytes("""{"type":"batch.\u0000succeeded","data":{}}"""), "body_without_type"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_signed_body_with_text_no_store_can_hold_is_a_400_problem_and_is_not_stored(string store, string endpoint, string name)
    {
        await using var host = await HostileHost.StartAsync(store);
        var (body, reason) = Hostile(name);
        var id = "msg_hostile_" + endpoint;
        using var response = await host.Client.SendAsync(endpoint == "static" ? host.SignedStatic(id, body) : host.SignedDynamic(id, body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["type"]));
        Assert.Contains(reason == "body_not_text" ? "not valid Unicode" : "control characters", (string)problem["detail"]!);
        var list = await host.AdminJsonAsync("/admin/events");
        Assert.Empty(list["events"]!.AsArray());

        // The same endpoint still takes a clean delivery.
        using var clean = await host.Client.SendAsync(endpoint == "static"
            ? host.SignedStatic(id + "_clean", Encoding.UTF8.GetBytes(Receiver.Event()))
            : host.SignedDynamic(id + "_clean", Encoding.UTF8.GetBytes(Receiver.Event())));
        Assert.Equal(HttpStatusCode.OK, clean.StatusCode);
    }

    [Fact]
    public async Task A_NUL_poison_among_concurrent_innocent_deliveries_on_PostgreSQL_fails_alone()
    {
        await using var host = await HostileHost.StartAsync("Postgres");
        var poison = Bytes("""{"type":"batch.\u0000","data":{"id":"batches/poison"}}""");
        var innocent = Enumerable.Range(0, 60).Select(i => host.Client.SendAsync(
            host.SignedStatic($"msg_innocent_{i}", Encoding.UTF8.GetBytes(Receiver.Event(id: $"batches/{i}"))))).ToList();
        var poisoned = Enumerable.Range(0, 5).Select(i => host.Client.SendAsync(host.SignedStatic($"msg_poison_{i}", poison))).ToList();
        var answers = await Task.WhenAll(innocent);
        var poisonAnswers = await Task.WhenAll(poisoned);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.All(poisonAnswers, a => Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode));
        foreach (var a in answers.Concat(poisonAnswers))
            a.Dispose();
        Assert.Equal(60, await TestPostgres.ScalarAsync(host.PostgresDatabase!, "SELECT COUNT(*) FROM events"));
        // A redelivery of the poison gets the same 400, not a 503 that would make Gemini retry it for a day.
        using var again = await host.Client.SendAsync(host.SignedStatic("msg_poison_0", poison));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task A_stored_body_with_an_unpaired_surrogate_is_shown_by_the_operator_API_and_archived_not_dead_lettered(string store)
    {
        await using var host = await HostileHost.StartAsync(store);
        // Stored the way an older version accepted it (ingest refuses it now): straight through the store.
        var body = Bytes("""{"type":"batch.succeeded","data":{"id":"batches/\ud800","error_message":"\udfff"}}""");
        var events = host.Receiver.Services.GetRequiredService<IEventStore>();
        await events.AcceptAsync(new IncomingDelivery("static", "msg_legacy", host.Now, host.Receiver.Time.GetUtcNow(), "batch.succeeded", body,
            ["archive"]), CancellationToken.None);

        var shown = await host.AdminJsonAsync("/admin/events/static/msg_legacy");
        Assert.Equal(Convert.ToBase64String(body), (string?)shown["body_base64"]);

        await Eventually.UntilAsync(async () =>
        {
            var e = await host.AdminJsonAsync("/admin/events/static/msg_legacy");
            Assert.True((string?)e["handlers"]![0]!["status"] is "pending" or "running" or "succeeded", e.ToJsonString());
            return (string?)e["handlers"]![0]!["status"] == "succeeded";
        });
        var line = JsonNode.Parse(File.ReadAllLines(host.ArchiveFile).Single(l => l.Contains("msg_legacy", StringComparison.Ordinal)))!;
        Assert.Equal(body, Convert.FromBase64String((string)line["event_base64"]!));
    }

    [Fact]
    public async Task A_bad_signature_answer_names_the_check_that_failed()
    {
        await using var host = await HostileHost.StartAsync("Sqlite");
        var body = Encoding.UTF8.GetBytes(Receiver.Event());
        using var request = host.SignedStatic("msg_wrong", body);
        request.Headers.Remove("webhook-id");
        request.Headers.TryAddWithoutValidation("webhook-id", "msg_other");
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("(signature_mismatch)", (string)problem["detail"]!);
    }
}
