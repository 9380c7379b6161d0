using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Verification;
using Microsoft.Data.Sqlite;

namespace GeminiHooks.Server.Tests.Ingest;

public class StaticIngestTests : IDisposable
{
    readonly TempDirectory _data = new();
    readonly Receiver _receiver;
    readonly HttpClient _client;

    public StaticIngestTests()
    {
        _receiver = new Receiver(_data.Path);
        _client = _receiver.Start();
    }

    public void Dispose()
    {
        _client.Dispose();
        _receiver.Dispose();
        _data.Dispose();
    }

    [Fact]
    public async Task A_delivery_signed_by_the_npm_standardwebhooks_library_is_accepted_and_stored_byte_for_byte()
    {
        var body = Receiver.Event();
        var ts = _receiver.Now;
        var signature = await NodeSigner.SignStaticAsync(Receiver.Secret, "msg_npm_1", ts, body);
        using var response = await _client.SendAsync(Receiver.Delivery("/webhooks/gemini", "msg_npm_1", ts.ToString(CultureInfo.InvariantCulture), signature, body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"accepted"}""", await response.Content.ReadAsStringAsync());
        var row = ReadRow("msg_npm_1");
        Assert.NotNull(row);
        Assert.Equal(("static", "batch.succeeded", ts, body), (row.Value.Endpoint, row.Value.Type, row.Value.Timestamp, row.Value.Body));
    }

    [Fact]
    public async Task A_redelivery_of_the_same_id_is_a_duplicate_and_stores_nothing_more()
    {
        using var first = await _client.SendAsync(_receiver.SignedStatic("msg_dup", Receiver.Event()));
        using var second = await _client.SendAsync(_receiver.SignedStatic("msg_dup", Receiver.Event()));
        Assert.Equal("""{"status":"accepted"}""", await first.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("""{"status":"duplicate"}""", await second.Content.ReadAsStringAsync());
        Assert.Equal(1, CountRows());
    }

    [Fact]
    public async Task An_unknown_event_type_is_accepted_not_rejected()
    {
        using var response = await _client.SendAsync(_receiver.SignedStatic("msg_new_type", Receiver.Event(type: "model.tuned")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("model.tuned", ReadRow("msg_new_type")!.Value.Type);
    }

    public static TheoryData<string, HttpStatusCode, string> Rejections => new()
    {
        { "tampered body", HttpStatusCode.Unauthorized, "signature" },
        { "wrong secret", HttpStatusCode.Unauthorized, "signature" },
        { "stale timestamp", HttpStatusCode.Unauthorized, "webhook-timestamp" },
        { "future timestamp", HttpStatusCode.Unauthorized, "webhook-timestamp" },
        { "partial signature", HttpStatusCode.Unauthorized, "signature" },
        { "only other versions", HttpStatusCode.Unauthorized, "signature" },
        { "missing webhook-id", HttpStatusCode.BadRequest, "webhook-id" },
        { "missing webhook-timestamp", HttpStatusCode.BadRequest, "webhook-timestamp" },
        { "garbled webhook-timestamp", HttpStatusCode.BadRequest, "webhook-timestamp" },
        { "missing webhook-signature", HttpStatusCode.BadRequest, "webhook-signature" },
        { "garbled webhook-signature", HttpStatusCode.BadRequest, "webhook-signature" },
        { "body not JSON", HttpStatusCode.BadRequest, "not JSON" },
        { "body a JSON array", HttpStatusCode.BadRequest, "not a JSON object" },
        { "body without type", HttpStatusCode.BadRequest, "type" },
        { "two JSON objects", HttpStatusCode.BadRequest, "not JSON" },
    };

    [Theory, MemberData(nameof(Rejections))]
    public async Task Bad_deliveries_are_rejected_with_problem_details_and_nothing_is_stored(string variant, HttpStatusCode expected, string detail)
    {
        var body = Receiver.Event();
        var now = _receiver.Now;
        var key = StandardWebhooks.DecodeSecret(Receiver.Secret);
        string Sign(string b, long ts, string? secret = null) =>
            StandardWebhooks.SignV1(secret is null ? key : StandardWebhooks.DecodeSecret(secret), "msg_bad", ts, Encoding.UTF8.GetBytes(b));
        string Ts(long ts) => ts.ToString(CultureInfo.InvariantCulture);

        var request = variant switch
        {
            "tampered body" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), Sign(body, now), body.Replace("out-1", "out-2", StringComparison.Ordinal)),
            "wrong secret" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), Sign(body, now, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"), body),
            "stale timestamp" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now - 301), Sign(body, now - 301), body),
            "future timestamp" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now + 301), Sign(body, now + 301), body),
            "partial signature" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), Sign(body, now)[..20], body),
            "only other versions" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), "v2," + Sign(body, now)[3..], body),
            "missing webhook-id" => Receiver.Delivery("/webhooks/gemini", null, Ts(now), Sign(body, now), body),
            "missing webhook-timestamp" => Receiver.Delivery("/webhooks/gemini", "msg_bad", null, Sign(body, now), body),
            "garbled webhook-timestamp" => Receiver.Delivery("/webhooks/gemini", "msg_bad", "yesterday", Sign(body, now), body),
            "missing webhook-signature" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), null, body),
            "garbled webhook-signature" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), "not-a-signature", body),
            "body not JSON" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), Sign("type=batch", now), "type=batch"),
            "body a JSON array" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), Sign("[1,2]", now), "[1,2]"),
            "body without type" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), Sign("""{"data":{}}""", now), """{"data":{}}"""),
            "two JSON objects" => Receiver.Delivery("/webhooks/gemini", "msg_bad", Ts(now), Sign(body + body, now), body + body),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        using var response = await _client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal((int)expected, (int)problem["status"]!);
        Assert.Contains(detail, (string)problem["detail"]!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, CountRows());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_whether_announced_or_chunked()
    {
        var body = Receiver.Event(id: new string('x', 300_000));
        using var announced = await _client.SendAsync(_receiver.SignedStatic("msg_big", body));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, announced.StatusCode);

        var chunked = _receiver.SignedStatic("msg_big", body);
        var bytes = await chunked.Content!.ReadAsByteArrayAsync();
        chunked.Content = new StreamContent(new MemoryStream(bytes)); // no Content-Length: sent chunked
        chunked.Headers.TransferEncodingChunked = true;
        using var response = await _client.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, CountRows());
    }

    [Fact]
    public async Task A_chunked_body_under_the_limit_is_accepted()
    {
        var request = _receiver.SignedStatic("msg_chunked", Receiver.Event());
        var bytes = await request.Content!.ReadAsByteArrayAsync();
        request.Content = new StreamContent(new MemoryStream(bytes));
        request.Headers.TransferEncodingChunked = true;
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_timestamp_window_is_inclusive_at_the_tolerance_and_follows_the_injected_clock()
    {
        var signedAt = _receiver.Now;
        using (var atEdge = await _client.SendAsync(_receiver.SignedStatic("msg_edge", Receiver.Event(), timestamp: signedAt - 300)))
            Assert.Equal(HttpStatusCode.OK, atEdge.StatusCode);
        _receiver.Time.Advance(TimeSpan.FromMinutes(6));
        using var late = await _client.SendAsync(_receiver.SignedStatic("msg_late", Receiver.Event(), timestamp: signedAt));
        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
    }

    [Fact]
    public async Task Rotated_secrets_take_effect_on_configuration_reload_without_a_restart()
    {
        const string newSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        using (var before = await _client.SendAsync(_receiver.SignedStatic("msg_rot_0", Receiver.Event(), newSecret)))
            Assert.Equal(HttpStatusCode.Unauthorized, before.StatusCode);

        // Rotation: both secrets live, then only the new one.
        _receiver.WriteSettings(new Dictionary<string, string?>
        {
            ["GeminiHooks:Static:Secrets:0"] = Receiver.Secret,
            ["GeminiHooks:Static:Secrets:1"] = newSecret["whsec_".Length..], // the prefix is optional
            ["GeminiHooks:Store:ConnectionString"] = $"Data Source={_receiver.DatabaseFile}",
        });
        await Eventually.UntilAsync(async () =>
        {
            using var response = await _client.SendAsync(_receiver.SignedStatic("msg_rot_1", Receiver.Event(), newSecret));
            return response.StatusCode == HttpStatusCode.OK;
        });
        using (var old = await _client.SendAsync(_receiver.SignedStatic("msg_rot_2", Receiver.Event())))
            Assert.Equal(HttpStatusCode.OK, old.StatusCode);

        _receiver.WriteSettings(new Dictionary<string, string?>
        {
            ["GeminiHooks:Static:Secrets:0"] = newSecret,
            ["GeminiHooks:Store:ConnectionString"] = $"Data Source={_receiver.DatabaseFile}",
        });
        await Eventually.UntilAsync(async () =>
        {
            using var response = await _client.SendAsync(_receiver.SignedStatic("msg_rot_3", Receiver.Event()));
            return response.StatusCode == HttpStatusCode.Unauthorized;
        });
    }

    [Fact]
    public async Task An_invalid_configuration_reload_is_refused_and_the_last_good_configuration_keeps_serving()
    {
        const string newSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        _receiver.WriteSettings(new Dictionary<string, string?>
        {
            ["GeminiHooks:Static:Secrets:0"] = "whsec_***not-base64***", // an operator's typo
            ["GeminiHooks:Static:Secrets:1"] = newSecret,
            ["GeminiHooks:Store:ConnectionString"] = $"Data Source={_receiver.DatabaseFile}",
        });
        await Task.Delay(1500); // the file watcher's reload has happened by now
        for (var i = 0; i < 3; i++)
        {
            using var response = await _client.SendAsync(_receiver.SignedStatic($"msg_typo_{i}", Receiver.Event()));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // the old secret still verifies: nothing from the bad reload applies
        }
        using (var withNew = await _client.SendAsync(_receiver.SignedStatic("msg_typo_new", Receiver.Event(), newSecret)))
            Assert.Equal(HttpStatusCode.Unauthorized, withNew.StatusCode);

        // The typo fixed: the new configuration applies.
        _receiver.WriteSettings(new Dictionary<string, string?>
        {
            ["GeminiHooks:Static:Secrets:0"] = newSecret,
            ["GeminiHooks:Store:ConnectionString"] = $"Data Source={_receiver.DatabaseFile}",
        });
        await Eventually.UntilAsync(async () =>
        {
            using var response = await _client.SendAsync(_receiver.SignedStatic("msg_fixed", Receiver.Event(), newSecret));
            return response.StatusCode == HttpStatusCode.OK;
        });
    }

    [Fact]
    public async Task A_wrong_method_or_path_gets_problem_details_too()
    {
        using var wrongMethod = await _client.GetAsync("/webhooks/gemini");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal("application/problem+json", wrongMethod.Content.Headers.ContentType?.MediaType);
        using var wrongPath = await _client.PostAsync("/webhooks/gemni", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, wrongPath.StatusCode);
        Assert.Equal(404, (int)JsonNode.Parse(await wrongPath.Content.ReadAsStringAsync())!["status"]!);
    }

    [Fact]
    public async Task Health_and_readiness_answer()
    {
        using var health = await _client.GetAsync("/healthz");
        using var ready = await _client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ok", (string)JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["store"]!);
    }

    [Fact]
    public async Task The_dynamic_endpoint_does_not_exist_while_dynamic_webhooks_are_off()
    {
        var request = _receiver.SignedStatic("msg_x", Receiver.Event());
        request.RequestUri = new Uri("/webhooks/gemini/dynamic", UriKind.Relative);
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    (string Endpoint, string Type, long Timestamp, string Body)? ReadRow(string webhookId)
    {
        using var connection = new SqliteConnection($"Data Source={_receiver.DatabaseFile};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT endpoint, type, webhook_timestamp, body FROM events WHERE webhook_id = $id";
        command.Parameters.AddWithValue("$id", webhookId);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
            return null;
        return (reader.GetString(0), reader.GetString(1), reader.GetInt64(2), Encoding.UTF8.GetString((byte[])reader.GetValue(3)));
    }

    long CountRows()
    {
        using var connection = new SqliteConnection($"Data Source={_receiver.DatabaseFile};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM events";
        return (long)command.ExecuteScalar()!;
    }
}
