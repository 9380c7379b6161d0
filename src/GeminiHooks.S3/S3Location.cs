namespace GeminiHooks.S3;

/// <summary>An object's address as the store answers it: <c>s3://bucket/key</c>.</summary>
readonly record struct S3Location(string Bucket, string Key)
{
    const string Scheme = "s3://";

    public override string ToString() => Scheme + Bucket + "/" + Key;

    /// <summary>Reads a location <see cref="S3ArtifactStore.PutAsync"/> answered; anything else is the caller's mistake.</summary>
    public static S3Location Parse(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        // Not Uri: a key may hold characters (spaces, '%', '#', '?') that a URI would escape or cut off.
        var slash = location.StartsWith(Scheme, StringComparison.Ordinal) ? location.IndexOf('/', Scheme.Length) : -1;
        if (slash <= Scheme.Length || slash == location.Length - 1)
            throw new ArgumentException($"'{location}' is not an S3 location (s3://bucket/key)", nameof(location));
        return new S3Location(location[Scheme.Length..slash], location[(slash + 1)..]);
    }
}
