using GeminiHooks.Artifacts;

namespace GeminiHooks.TestSupport.Storage;

/// <summary>Artifact rows and result-handler checkpoints (<see cref="IArtifactRecords"/>).</summary>
public abstract partial class EventStoreContractTests
{
    IArtifactRecords Artifacts => (IArtifactRecords)Store;

    ArtifactRequest Artifact(string jobId) =>
        new("batch", jobId, "batches/" + jobId, ArtifactKind.Responses, $"files/{jobId}-output", Time.GetUtcNow());

    [Fact]
    public async Task An_artifact_is_recorded_once_per_job_and_claimed_by_one_owner_at_a_time()
    {
        Assert.True(await Artifacts.AddArtifactAsync(Artifact("a1"), Ct));
        Assert.False(await Artifacts.AddArtifactAsync(Artifact("a1"), Ct));
        var now = Time.GetUtcNow();
        var claimed = await Artifacts.ClaimArtifactAsync("one", now, now.AddMinutes(2), Ct);
        Assert.NotNull(claimed);
        Assert.Equal(("a1", "downloading", 1, "files/a1-output"), (claimed.JobId, claimed.Status, claimed.Attempts, claimed.File));
        Assert.Null(await Artifacts.ClaimArtifactAsync("two", now, now.AddMinutes(2), Ct));

        // Progress is fenced on the owner; a lease that runs out passes the artifact (and its progress) to another.
        Assert.False(await Artifacts.SaveArtifactProgressAsync(claimed.Id, "two", "files/a1-output", 100, 50, null, now.AddMinutes(2), Ct));
        Assert.True(await Artifacts.SaveArtifactProgressAsync(claimed.Id, "one", "files/a1-output", 100, 50, now.AddDays(2), now.AddMinutes(2), Ct));
        Time.Advance(TimeSpan.FromMinutes(3));
        var taken = await Artifacts.ClaimArtifactAsync("two", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(2), Ct);
        Assert.NotNull(taken);
        Assert.Equal((50L, 100L, 2), (taken.BytesDone, taken.Size!.Value, taken.Attempts));
        Assert.False(await Artifacts.StoreArtifactAsync(taken.Id, "one", "files/x", 100, "ab", "/x", Time.GetUtcNow(), Ct));
        Assert.True(await Artifacts.StoreArtifactAsync(taken.Id, "two", "files/x", 100, "ab", "/x", Time.GetUtcNow(), Ct));
        var stored = Assert.Single(await Artifacts.ListArtifactsAsync("stored", null, null, 10, Ct));
        Assert.Equal(("/x", "ab", 100L), (stored.Location, stored.Sha256, stored.BytesDone));
        Assert.Null(await Artifacts.ClaimArtifactAsync("three", Time.GetUtcNow().AddDays(1), Time.GetUtcNow().AddDays(1), Ct));
    }

    [Fact]
    public async Task A_failed_try_is_due_again_at_its_retry_time_and_an_expired_one_never()
    {
        await Artifacts.AddArtifactAsync(Artifact("r1"), Ct);
        await Artifacts.AddArtifactAsync(Artifact("e1"), Ct);
        var now = Time.GetUtcNow();
        var first = (await Artifacts.ClaimArtifactAsync("w", now, now.AddMinutes(1), Ct))!;
        var second = (await Artifacts.ClaimArtifactAsync("w", now, now.AddMinutes(1), Ct))!;
        var (retry, expire) = first.JobId == "r1" ? (first, second) : (second, first);
        Assert.True(await Artifacts.FailArtifactAsync(retry.Id, "w", "HTTP 503", now.AddSeconds(10), ArtifactStatus.Failed, now, Ct));
        Assert.True(await Artifacts.FailArtifactAsync(expire.Id, "w", "HTTP 404", null, ArtifactStatus.Expired, now, Ct));
        Assert.Null(await Artifacts.ClaimArtifactAsync("w", now.AddSeconds(5), now.AddMinutes(1), Ct));
        var again = await Artifacts.ClaimArtifactAsync("w", now.AddSeconds(10), now.AddMinutes(1), Ct);
        Assert.Equal("r1", again?.JobId);
        var expired = Assert.Single(await Artifacts.ListArtifactsAsync(ArtifactStatus.Expired, "batch", "e1", 10, Ct));
        Assert.Equal("HTTP 404", expired.LastError);

        // Overdue: not stored nor expired, event older than the cutoff.
        Assert.Equal(1, await Artifacts.CountOverdueArtifactsAsync(now.AddHours(25), Ct));
        Assert.Equal(0, await Artifacts.CountOverdueArtifactsAsync(now, Ct));
        Assert.True(await Artifacts.StoreArtifactAsync(again!.Id, "w", "files/x", 1, "ab", "/x", now, Ct));
        Assert.Equal(0, await Artifacts.CountOverdueArtifactsAsync(now.AddHours(25), Ct));
        Assert.Null(await Artifacts.ClaimArtifactAsync("w", now.AddDays(3), now.AddDays(3), Ct));
    }

    [Fact]
    public async Task A_result_pass_resumes_from_its_checkpoint_and_ends_once_per_handler()
    {
        await Artifacts.AddArtifactAsync(Artifact("c1"), Ct);
        var now = Time.GetUtcNow();
        var artifact = (await Artifacts.ClaimArtifactAsync("w", now, now.AddMinutes(1), Ct))!;
        Assert.Null(await Artifacts.ClaimResultPassAsync("h", "p1", now, now.AddMinutes(1), Ct)); // not stored yet
        await Artifacts.StoreArtifactAsync(artifact.Id, "w", "files/x", 10, "ab", "/x", now, Ct);

        var pass = await Artifacts.ClaimResultPassAsync("h", "p1", now, now.AddMinutes(1), Ct);
        Assert.Equal(0L, pass?.Line);
        Assert.Null(await Artifacts.ClaimResultPassAsync("h", "p2", now, now.AddMinutes(1), Ct)); // held
        Assert.Equal(0L, (await Artifacts.ClaimResultPassAsync("other", "p2", now, now.AddMinutes(1), Ct))?.Line); // handlers are independent
        Assert.True(await Artifacts.SaveCheckpointAsync(artifact.Id, "h", "p1", 1000, false, now, now.AddMinutes(1), null, Ct));
        Assert.False(await Artifacts.SaveCheckpointAsync(artifact.Id, "h", "p2", 2000, false, now, now.AddMinutes(1), null, Ct));

        // p1 crashes: after its lease, p2 takes over from line 1000.
        Time.Advance(TimeSpan.FromMinutes(2));
        var resumed = await Artifacts.ClaimResultPassAsync("h", "p2", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(1), Ct);
        Assert.Equal(1000L, resumed?.Line);
        Assert.False(await Artifacts.SaveCheckpointAsync(artifact.Id, "h", "p1", 1500, false, Time.GetUtcNow(), Time.GetUtcNow(), null, Ct));
        Assert.True(await Artifacts.SaveCheckpointAsync(artifact.Id, "h", "p2", 2500, true, Time.GetUtcNow(), Time.GetUtcNow(), null, Ct));
        Assert.Null(await Artifacts.ClaimResultPassAsync("h", "p3", Time.GetUtcNow().AddDays(1), Time.GetUtcNow().AddDays(1), Ct));
        var checkpoints = await Artifacts.ListCheckpointsAsync(artifact.Id, Ct);
        Assert.Equal([("h", 2500L, true), ("other", 0L, false)], checkpoints.Select(c => (c.Handler, c.Line, c.Done)));
    }
}
