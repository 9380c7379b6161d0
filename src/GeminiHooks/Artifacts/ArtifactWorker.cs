using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Artifacts;

/// <summary>
/// Fetches each recorded artifact into <see cref="IArtifactStore"/>: claims it under a lease (so replicas never fetch one
/// twice at once), resolves what to download, streams it into a spool file under <c>Artifacts:Path/.spool</c>, checks its
/// size and SHA-256 against the Files API's, puts it in the store, announces <c>artifact.stored</c>, then marks it stored.
/// A failed try is retried with exponential backoff up to <c>Artifacts:MaxAttempts</c>; a 404 at the source is final
/// (<c>expired</c>). A crash after the put and before the mark fetches it again; the announcement is then a duplicate.
/// </summary>
internal sealed partial class ArtifactWorker(
    IEventStore store,
    IArtifactStore artifactStore,
    ArtifactSource source,
    FileDownloader downloader,
    ArtifactStoredEvent announcer,
    ArtifactWakeup wakeup,
    ArtifactMetrics metrics,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    ILogger<ArtifactWorker> logger) : BackgroundService
{
    readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The loops run whether or not artifacts are on, and look at Enabled on every pass, so a configuration reload
        // turns them on or off as it does the artifacts handler; the number of loops is read once, at start.
        if (store is not IArtifactRecords records)
            return;
        var loops = Enumerable.Range(0, Math.Clamp(options.CurrentValue.Artifacts.Concurrency, 1, 64)).Select(_ => RunLoopAsync(records, stoppingToken)).ToList();
        loops.Add(WatchOverdueAsync(records, stoppingToken));
        await Task.WhenAll(loops);
    }

    async Task RunLoopAsync(IArtifactRecords records, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!options.CurrentValue.Artifacts.Enabled)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                    continue;
                }
                var now = time.GetUtcNow();
                var artifact = await records.ClaimArtifactAsync(_owner, now, now + options.CurrentValue.Artifacts.Lease, stoppingToken);
                if (artifact is null)
                {
                    await wakeup.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                    continue;
                }
                await FetchAsync(records, artifact, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StoreUnavailableException e)
            {
                LogStoreUnavailable(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    async Task FetchAsync(IArtifactRecords records, ArtifactRecord artifact, CancellationToken stoppingToken)
    {
        var settings = options.CurrentValue.Artifacts;
        var spool = Path.Combine(Path.GetFullPath(settings.Path), ".spool", $"{artifact.Family}-{artifact.JobId}.part");
        try
        {
            var (file, bytes, sha256, expired, error) = await DownloadAsync(records, artifact, spool, stoppingToken);
            if (error is not null)
            {
                await FailAsync(records, artifact, error, expired, spool, stoppingToken);
                return;
            }
            var objectName = artifact.Kind == ArtifactKind.Video
                ? $"videos/{artifact.JobId}/{Path.GetFileName(file)}.mp4"
                : $"batches/{artifact.JobId}/responses.jsonl";
            var location = await artifactStore.PutAsync(objectName, spool, stoppingToken);
            File.Delete(spool);
            var stored = artifact with { File = file };
            await announcer.AnnounceAsync(stored, bytes, sha256!, location, stoppingToken);
            if (await records.StoreArtifactAsync(artifact.Id, _owner, file, bytes, sha256!, location, time.GetUtcNow(), stoppingToken))
            {
                metrics.Stored(artifact.Kind, bytes);
                wakeup.Set();
                LogStored(logger, artifact.Job, artifact.Kind, bytes, artifactStore.Name);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: due again at once for whoever starts next; the spool keeps what was saved.
            await records.FailArtifactAsync(artifact.Id, _owner, "the service stopped during the download", time.GetUtcNow(),
                ArtifactStatus.Failed, time.GetUtcNow(), CancellationToken.None);
            throw;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException or InvalidOperationException)
        {
            await FailAsync(records, artifact, $"{e.GetType().Name}: {e.Message}", expired: false, spool, stoppingToken);
        }
    }

    /// <summary>Resolves and downloads: the file name, size and hash, or why not (and whether the source is gone).</summary>
    async Task<(string File, long Bytes, string? Sha256, bool Expired, string? Error)> DownloadAsync(IArtifactRecords records,
        ArtifactRecord artifact, string spool, CancellationToken cancellationToken)
    {
        var file = artifact.File;
        if (artifact.Kind == ArtifactKind.Responses && !file.StartsWith("files/", StringComparison.Ordinal))
        {
            var batch = await source.ResolveBatchAsync(artifact.JobId, cancellationToken);
            if (batch.Error is not null)
                return (file, 0, null, batch.Expired, batch.Error);
            if (batch.Inline is { } inline)
            {
                await using (var output = Files.PrivateFiles.Open(spool, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    await ArtifactSource.WriteInlineAsync(inline, output, cancellationToken);
                    output.Flush(flushToDisk: true);
                }
                var (size, hash) = await HashFileAsync(spool, cancellationToken);
                return (ArtifactSource.Inline, size, hash, false, null);
            }
            file = batch.File!;
        }
        if (!file.StartsWith("files/", StringComparison.Ordinal))
            return (file, 0, null, false, "the event names no file to download");

        var described = await source.DescribeAsync(file, cancellationToken);
        if (described.Error is not null)
            return (file, 0, null, described.Expired, described.Error);
        var meta = described.File!;
        var lease = () => time.GetUtcNow() + options.CurrentValue.Artifacts.Lease;
        if (!await records.SaveArtifactProgressAsync(artifact.Id, _owner, file, meta.SizeBytes, artifact.BytesDone, meta.ExpirationTime, lease(), cancellationToken))
            return (file, 0, null, false, "the lease was taken over by another process");
        var outcome = await downloader.DownloadAsync(file["files/".Length..], spool, artifact.BytesDone,
            done => records.SaveArtifactProgressAsync(artifact.Id, _owner, file, meta.SizeBytes, done, meta.ExpirationTime, lease(), cancellationToken),
            cancellationToken);
        if (!outcome.Complete)
            return (file, outcome.Bytes, null, outcome.Expired, outcome.Error);
        if (meta.SizeBytes is { } expected && expected != outcome.Bytes || meta.Sha256Hex is { } sha && sha != outcome.Sha256)
        {
            File.Delete(spool);
            await records.SaveArtifactProgressAsync(artifact.Id, _owner, file, meta.SizeBytes, 0, meta.ExpirationTime, lease(), cancellationToken);
            return (file, 0, null, false, $"the download does not match the Files API's size or SHA-256 ({outcome.Bytes} bytes, {outcome.Sha256})");
        }
        return (file, outcome.Bytes, outcome.Sha256, false, null);
    }

    static async Task<(long Size, string Sha256)> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        var hash = await System.Security.Cryptography.SHA256.HashDataAsync(stream, cancellationToken);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }

    async Task FailAsync(IArtifactRecords records, ArtifactRecord artifact, string error, bool expired, string spool,
        CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Artifacts;
        var now = time.GetUtcNow();
        DateTimeOffset? retryAt = expired || artifact.Attempts >= settings.MaxAttempts ? null : now + Backoff(settings, artifact.Attempts);
        var final = expired ? ArtifactStatus.Expired : ArtifactStatus.Failed;
        if (!await records.FailArtifactAsync(artifact.Id, _owner, error, retryAt, final, now, cancellationToken))
            return;
        if (retryAt is { } at)
        {
            LogRetrying(logger, artifact.Job, artifact.Attempts, error, at);
            return;
        }
        // Final: nothing will resume from the spool.
        File.Delete(spool);
        if (expired)
        {
            metrics.Expired(artifact.Kind);
            LogExpired(logger, artifact.Job, artifact.Kind, error);
        }
        else
        {
            metrics.Failed(artifact.Kind);
            LogFailed(logger, artifact.Job, artifact.Attempts, error);
        }
    }

    static TimeSpan Backoff(ArtifactOptions settings, int attempts)
    {
        var ticks = settings.RetryBaseDelay.Ticks * Math.Pow(2, Math.Min(attempts - 1, 30));
        var capped = Math.Min(ticks, settings.RetryMaxDelay.Ticks);
        return TimeSpan.FromTicks((long)(capped * (0.5 + Random.Shared.NextDouble() * 0.5)));
    }

    /// <summary>Refreshes the overdue gauge every 30 seconds.</summary>
    async Task WatchOverdueAsync(IArtifactRecords records, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (options.CurrentValue.Artifacts.Enabled)
                    metrics.Overdue(await records.CountOverdueArtifactsAsync(time.GetUtcNow() - options.CurrentValue.Artifacts.StoredWithin,
                        stoppingToken));
                await Task.Delay(TimeSpan.FromSeconds(30), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StoreUnavailableException)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Artifact of {Job} ({Kind}, {Bytes} bytes) stored in {Store}")]
    static partial void LogStored(ILogger logger, string job, string kind, long bytes, string store);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Artifact of {Job}: try {Attempt} failed ({Error}); retrying at {RetryAt:O}")]
    static partial void LogRetrying(ILogger logger, string job, int attempt, string error, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Artifact of {Job} ({Kind}) expired at the source before it was stored: {Error}")]
    static partial void LogExpired(ILogger logger, string job, string kind, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Artifact of {Job} failed after {Attempts} tries: {Error}")]
    static partial void LogFailed(ILogger logger, string job, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Artifacts: the store is unavailable ({Reason}); retrying")]
    static partial void LogStoreUnavailable(ILogger logger, string reason);
}
