namespace GeminiHooks.Artifacts;

/// <summary>
/// The store's artifact rows and result-handler checkpoints (both relational stores implement it). Every change of a
/// claimed row is fenced on the claim's owner: a process whose lease was taken over changes nothing.
/// </summary>
internal interface IArtifactRecords
{
    /// <summary>Records an artifact to fetch, due now; false when the job already has one (nothing changes).</summary>
    Task<bool> AddArtifactAsync(ArtifactRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the artifact due first (pending and due, or downloading with its lease run out) for
    /// <paramref name="owner"/> until <paramref name="leaseUntil"/>, counting an attempt; null when none is due.
    /// </summary>
    Task<ArtifactRecord?> ClaimArtifactAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Saves what a download has learnt and how far it is (bytes fsynced in the spool), and renews the lease.</summary>
    Task<bool> SaveArtifactProgressAsync(long id, string owner, string file, long? size, long bytesDone, DateTimeOffset? sourceExpiresAt,
        DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Marks it stored, with the file it came from (<c>files/…</c>, or <c>inline</c>).</summary>
    Task<bool> StoreArtifactAsync(long id, string owner, string file, long size, string sha256, string location, DateTimeOffset fetchedAt,
        CancellationToken cancellationToken);

    /// <summary>
    /// Records a failed try: pending again at <paramref name="retryAt"/>, or final with <paramref name="finalStatus"/>
    /// (expired or failed) when it is null.
    /// </summary>
    Task<bool> FailArtifactAsync(long id, string owner, string error, DateTimeOffset? retryAt, string finalStatus, DateTimeOffset now,
        CancellationToken cancellationToken);

    /// <summary>Artifacts, newest first, optionally of one status or one job.</summary>
    Task<IReadOnlyList<ArtifactRecord>> ListArtifactsAsync(string? status, string? family, string? jobId, int limit,
        CancellationToken cancellationToken);

    /// <summary>Artifacts not stored (nor expired) whose event is older than <paramref name="eventBefore"/>.</summary>
    Task<long> CountOverdueArtifactsAsync(DateTimeOffset eventBefore, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the oldest stored responses file <paramref name="handler"/> has not finished and nobody holds, until
    /// <paramref name="leaseUntil"/>; null when there is none.
    /// </summary>
    Task<ResultPass?> ClaimResultPassAsync(string handler, string owner, DateTimeOffset now, DateTimeOffset leaseUntil,
        CancellationToken cancellationToken);

    /// <summary>
    /// Saves a result handler's checkpoint: <paramref name="line"/> lines handled; <paramref name="done"/> ends its pass;
    /// the lease runs to <paramref name="leaseUntil"/> (a failing handler's next try waits until then).
    /// </summary>
    Task<bool> SaveCheckpointAsync(long artifactId, string handler, string owner, long line, bool done, DateTimeOffset now,
        DateTimeOffset leaseUntil, string? error, CancellationToken cancellationToken);

    /// <summary>Each handler's checkpoint of one artifact: lines handled and whether it is done.</summary>
    Task<IReadOnlyList<(string Handler, long Line, bool Done, string? Error)>> ListCheckpointsAsync(long artifactId,
        CancellationToken cancellationToken);
}
