using System.Net;
using System.Net.Http.Headers;

namespace GeminiHooks.Server.Tests.Replicas;

/// <summary>A handler paused through one replica stays paused on the other, until a resume through either.</summary>
public class PausedHandlerReplicaTests
{
    const string AdminKey = "replica-admin-key-0123456789abcdef0123";

    [Fact]
    public async Task A_handler_paused_on_one_replica_runs_on_neither_until_resumed_on_the_other_and_nothing_is_dead_lettered()
    {
        using var data = new TempDirectory();
        var database = await TestPostgres.CreateDatabaseAsync();
        var log = new RunLog();
        var admin = new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = AdminKey };
        await using var a = ReplicaTests.Replica("a", data, database, log, admin);
        await using var b = ReplicaTests.Replica("b", data, database, log, admin);
        using var clientA = a.Start();
        using var clientB = b.Start();

        using (var pause = await clientA.SendAsync(Admin(HttpMethod.Post, "/admin/handlers/recorder/pause")))
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        for (var i = 0; i < 10; i++)
        {
            var (replica, client) = i % 2 == 0 ? (a, clientA) : (b, clientB);
            using var response = await client.SendAsync(replica.SignedStatic($"msg_paused_{i}", Receiver.Event()));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Unpaused, ten runs take milliseconds; paused, none happens on either replica and no attempt is spent.
        await Task.Delay(1500);
        Assert.Empty(log.RunsByWebhookId);
        Assert.Equal(10, await TestPostgres.ScalarAsync(database,
            "SELECT COUNT(*) FROM handler_runs WHERE handler = 'recorder' AND status = 'pending' AND attempts = 0"));

        using (var resume = await clientB.SendAsync(Admin(HttpMethod.Post, "/admin/handlers/recorder/resume")))
            Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        await Eventually.UntilAsync(() => Task.FromResult(log.RunsByWebhookId.Count == 10), "every paused pair runs after the resume");
        // A run is recorded as succeeded just after its handler returns, so the count is awaited too.
        await Eventually.UntilAsync(async () => await TestPostgres.ScalarAsync(database,
            "SELECT COUNT(*) FROM handler_runs WHERE status = 'succeeded' AND attempts = 1") == 10, "the ten runs recorded as succeeded at their first attempt");
        await Task.Delay(300);
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(1, log.RunsByWebhookId[$"msg_paused_{i}"]));
        Assert.Equal(0, await TestPostgres.ScalarAsync(database, "SELECT COUNT(*) FROM handler_runs WHERE status = 'dead'"));
    }

    static HttpRequestMessage Admin(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return request;
    }
}
