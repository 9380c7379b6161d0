using System.Net;
using System.Text.Json;
using GeminiHooks.Storage;

namespace GeminiHooks.Brokers.Tests;

public class BrokerDeliveryTests
{
    static readonly string[] Types = ["batch.succeeded", "batch.failed", "interaction.completed", "model.tuned"];

    [Theory]
    [InlineData("redis", "envelope")]
    [InlineData("redis", "cloudevents")]
    [InlineData("nats", "envelope")]
    [InlineData("nats", "cloudevents")]
    [InlineData("rabbitmq", "envelope")]
    [InlineData("rabbitmq", "cloudevents")]
    public async Task Two_hundred_deliveries_reach_the_broker_once_each_and_parse_back_to_the_same_event(string broker, string format)
    {
        var target = new BrokerTarget(broker);
        await target.PrepareAsync();
        await using var host = await BrokerTestHost.StartAsync(target.Settings(format));

        var sent = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 200; i++)
        {
            var type = Types[i % Types.Length];
            sent[await host.AcceptAsync(type)] = type;
        }
        await host.WaitAllAsync(sent.Keys, r => r.Status == RunStatus.Succeeded, "every pair succeeded", TimeSpan.FromSeconds(60));

        var read = await target.ReadAsync();
        Assert.Equal(200, read.Count);
        Assert.Equal(200, read.Select(m => m.GetProperty("id").GetString()).Distinct().Count());
        foreach (var message in read)
        {
            var id = message.GetProperty("id").GetString()!;
            Assert.True(sent.TryGetValue(id, out var type), $"unexpected id {id}");
            Assert.Equal(type, message.GetProperty("type").GetString());
            Assert.Equal(BrokerTestHost.Endpoint, message.GetProperty("endpoint").GetString());
            Assert.Equal($"batches/{id}", message.GetProperty("data").GetProperty("id").GetString());
            Assert.Equal("done", message.GetProperty("data").GetProperty("state").GetString());
            Assert.Equal(format, message.GetProperty("format").GetString());
            if (format == "cloudevents")
            {
                // The CNCF SDK (in the reader) validated the attributes; these are the values the docs promise.
                Assert.Equal(id, message.GetProperty("ceId").GetString());
                Assert.Equal(type, message.GetProperty("ceType").GetString());
                var ce = message.GetProperty("cloudevent");
                Assert.Equal("1.0", ce.GetProperty("specversion").GetString());
                Assert.Equal("/geminihooks/static", ce.GetProperty("source").GetString());
                Assert.Equal(DateTimeOffset.Parse("2026-11-20T10:15:00Z", System.Globalization.CultureInfo.InvariantCulture),
                    ce.GetProperty("time").GetDateTimeOffset());
                Assert.Equal("application/json", ce.GetProperty("datacontenttype").GetString());
                using var metadata = JsonDocument.Parse(ce.GetProperty("usermetadata").GetString()!);
                Assert.Equal(id, metadata.RootElement.GetProperty("job").GetString());
            }
            else
                Assert.Equal(type, message.GetProperty("bodyType").GetString());
            if (broker == "rabbitmq")
            {
                Assert.True(message.GetProperty("persistent").GetBoolean());
                Assert.Equal(type, message.GetProperty("routingKey").GetString());
            }
            if (broker == "nats")
                Assert.EndsWith("." + type, message.GetProperty("subject").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("nats")]
    [InlineData("rabbitmq")]
    public async Task A_replay_and_a_forced_rerun_publish_nothing_twice_where_the_broker_can_promise_it(string broker)
    {
        var target = new BrokerTarget(broker);
        await target.PrepareAsync();
        await using var host = await BrokerTestHost.StartAsync(target.Settings());
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add(await host.AcceptAsync("batch.succeeded"));
        await host.WaitAllAsync(ids, r => r.Status == RunStatus.Succeeded, "first runs succeeded", TimeSpan.FromSeconds(30));

        // The operator replays the first event over the API.
        var before = (await host.RunAsync(ids[0]))!.UpdatedAt;
        await Task.Delay(20);
        using (var replay = host.AdminRequest(HttpMethod.Post, $"/admin/events/{BrokerTestHost.Endpoint}/{ids[0]}/replay?handler=bus"))
        using (var response = await host.Client.SendAsync(replay))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await host.WaitAllAsync([ids[0]], r => r.Status == RunStatus.Succeeded && r.UpdatedAt > before, "the replay succeeded",
            TimeSpan.FromSeconds(30));

        // The second event's handler "crashed" after publishing: its success was never recorded, so it runs again.
        before = (await host.RunAsync(ids[1]))!.UpdatedAt;
        await Task.Delay(20);
        await host.ForgetSuccessAsync(ids[1]);
        await host.WaitAllAsync([ids[1]], r => r.Status == RunStatus.Succeeded && r.UpdatedAt > before, "the re-run succeeded",
            TimeSpan.FromSeconds(30));

        var read = await target.ReadAsync();
        var byId = read.GroupBy(m => m.GetProperty("id").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), byId.Keys.Order(StringComparer.Ordinal));
        if (target.DeduplicatesOnServer)
            Assert.Equal(3, read.Count);
        else
        {
            // RabbitMQ has no server-side deduplication: both repeated runs publish again, under the same message_id,
            // which is what a consumer dedups on (the docs say so).
            Assert.Equal(5, read.Count);
            Assert.Equal(2, byId[ids[0]]);
            Assert.Equal(2, byId[ids[1]]);
            Assert.Equal(1, byId[ids[2]]);
        }
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("nats")]
    [InlineData("rabbitmq")]
    public async Task With_the_broker_down_pairs_fail_and_wait_and_once_it_is_back_every_event_arrives_once_without_a_restart(string broker)
    {
        var target = new BrokerTarget(broker);
        await target.PrepareAsync();
        await using var host = await BrokerTestHost.StartAsync(target.Settings());
        // One event first, so the connection is up when the broker goes away (the harder case for reconnecting).
        var ids = new List<string> { await host.AcceptAsync("batch.succeeded") };
        await host.WaitAllAsync(ids, r => r.Status == RunStatus.Succeeded, "the first event arrived", TimeSpan.FromSeconds(30));

        var errors = new List<string>();
        await Brokers.ScriptAsync("stop", broker);
        try
        {
            var during = new List<string>();
            for (var i = 0; i < 20; i++)
                during.Add(await host.AcceptAsync(i % 2 == 0 ? "batch.failed" : "batch.succeeded"));
            await host.WaitAllAsync(during, r => r.Status == RunStatus.Pending && r.Attempts >= 1 && r.LastError is { Length: > 0 },
                "every pair failed once and waits for its retry", TimeSpan.FromSeconds(60));
            foreach (var id in during)
                errors.Add((await host.RunAsync(id))!.LastError!);
            ids.AddRange(during);
        }
        finally
        {
            await Brokers.ScriptAsync("start", broker);
        }
        await host.WaitAllAsync(ids, r => r.Status == RunStatus.Succeeded, "every pair succeeded after the broker came back",
            TimeSpan.FromSeconds(90));

        var read = await target.ReadAsync();
        Assert.Equal(21, read.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), read.Select(m => m.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));

        // The broker's password was in every connection attempt; it is in no log line and no stored error.
        var secret = Brokers.Secret(broker);
        Assert.NotEmpty(host.Logs.Lines);
        Assert.DoesNotContain(host.Logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(errors, error => error.Contains(secret, StringComparison.Ordinal));
    }
}
