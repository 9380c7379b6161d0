namespace GeminiHooks.Artifacts;

/// <summary>
/// Where downloaded results (batch responses files, videos) are kept: the local file system or an S3-compatible
/// bucket. A download is first completed and checked in a local spool file; only then is it put here, so a store never
/// holds half a file.
/// </summary>
public interface IArtifactStore
{
    /// <summary>The <c>Artifacts:Store</c> value that selects this store, e.g. <c>FileSystem</c> or <c>S3</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Copies the complete local file <paramref name="localFile"/> to the store as <paramref name="objectName"/>
    /// (a relative name such as <c>batches/abc/responses.jsonl</c>) and answers where it now is (a path or an
    /// <c>s3://</c> URI). Putting the same name again replaces it.
    /// </summary>
    Task<string> PutAsync(string objectName, string localFile, CancellationToken cancellationToken);

    /// <summary>Opens a stored artifact, by the location <see cref="PutAsync"/> answered, for reading from the start.</summary>
    Task<Stream> OpenReadAsync(string location, CancellationToken cancellationToken);
}
