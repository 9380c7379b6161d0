using System.Net;

namespace GeminiHooks.Server.Tests.Hostile;

/// <summary>PostgreSQL unreachable when the service starts: it starts anyway, answers 503, and becomes ready by itself.</summary>
public class PostgresDownAtStartTests
{
    [Fact]
    public async Task The_service_starts_not_ready_answers_503_with_Retry_After_and_recovers_when_PostgreSQL_comes_up()
    {
        await using var cluster = await OwnPostgresCluster.StartAsync();
        var database = await TestPostgres.CreateDatabaseAsync(cluster.ConnectionString);
        await cluster.StopAsync();

        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path, new Dictionary<string, string?>
        {
            ["GeminiHooks:Store:Provider"] = "Postgres",
            ["GeminiHooks:Store:ConnectionString"] = database + ";Timeout=2",
            ["GeminiHooks:Store:RetryAfter"] = "00:00:01",
        });
        using var client = receiver.Start();

        using (var ready = await client.GetAsync("/readyz"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using (var delivery = await client.SendAsync(receiver.SignedStatic("msg_while_down", Receiver.Event())))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, delivery.StatusCode);
            Assert.Equal("1", delivery.Headers.GetValues("Retry-After").Single());
        }

        await cluster.RestartAsync();
        // The retry waits on the service's clock (a fake one in tests): move it along while waiting.
        await Eventually.UntilAsync(async () =>
        {
            receiver.Time.Advance(TimeSpan.FromSeconds(1));
            using var ready = await client.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(60));
        using var accepted = await client.SendAsync(receiver.SignedStatic("msg_while_down", Receiver.Event()));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(1, await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM events"));
    }
}
