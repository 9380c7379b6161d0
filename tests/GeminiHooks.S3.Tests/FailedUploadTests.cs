using Amazon.S3;

namespace GeminiHooks.S3.Tests;

/// <summary>
/// An upload that fails or is cancelled half-way leaves no incomplete multipart upload in the bucket (S3 would keep and
/// bill its parts, unseen, until a lifecycle rule removed them) and ends in an error that says what failed, where.
/// </summary>
public sealed class FailedUploadTests : IAsyncLifetime
{
    const long MiB = 1024 * 1024;
    readonly TempDirectory _temp = new();

    [Fact]
    public async Task A_part_the_server_refuses_mid_way_aborts_the_upload_and_names_the_object_and_the_error()
    {
        var prefix = S3TestServer.NewPrefix();
        var logs = new CapturedLogs();
        using var store = S3TestServer.Store(prefix, partSize: 5 * MiB, logs: logs);
        var file = TestFiles.Random(_temp.File("responses.jsonl"), 30 * MiB);
        await S3TestServer.FailPartsAfterAsync(2);

        var error = await Assert.ThrowsAsync<IOException>(() => store.PutAsync("job/responses.jsonl", file, CancellationToken.None));

        var location = $"s3://{TestS3.Bucket}/{prefix}job/responses.jsonl";
        Assert.StartsWith($"Putting {file} to {location} failed: InternalError (HTTP 500)", error.Message, StringComparison.Ordinal);
        Assert.Empty(await S3TestServer.IncompleteUploadsAsync(prefix));
        Assert.Contains(logs.Lines, l => l.Contains("Aborted the incomplete multipart upload", StringComparison.Ordinal));
        using var client = S3TestServer.Client();
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() =>
            client.GetObjectMetadataAsync(TestS3.Bucket, prefix + "job/responses.jsonl"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_cancelled_upload_is_aborted_and_the_cancellation_reaches_the_caller()
    {
        var prefix = S3TestServer.NewPrefix();
        using var store = S3TestServer.Store(prefix, partSize: 5 * MiB);
        var file = TestFiles.Random(_temp.File("video.mp4"), 200 * MiB);
        using var cancel = new CancellationTokenSource();

        var put = store.PutAsync("video.mp4", file, cancel.Token);
        // Cancelled once the upload is under way on the server, not before it began.
        await Eventually.UntilAsync(async () => (await S3TestServer.IncompleteUploadsAsync(prefix)).Count == 1,
            () => "the multipart upload started", TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => put);
        Assert.Empty(await S3TestServer.IncompleteUploadsAsync(prefix));
    }

    [Fact]
    public async Task A_server_that_goes_away_mid_way_fails_the_put_and_the_message_names_the_upload_it_could_not_abort()
    {
        var prefix = S3TestServer.NewPrefix();
        using var store = S3TestServer.Store(prefix, partSize: 5 * MiB);
        var file = TestFiles.Random(_temp.File("video.mp4"), 300 * MiB);
        var put = store.PutAsync("video.mp4", file, CancellationToken.None);
        await Eventually.UntilAsync(async () => (await S3TestServer.IncompleteUploadsAsync(prefix)).Count == 1,
            () => "the multipart upload started", TimeSpan.FromSeconds(30));
        string? uploadId;
        IOException error;
        try
        {
            uploadId = (await S3TestServer.IncompleteUploadsAsync(prefix))[0].UploadId;
            await S3TestServer.ScriptAsync("stop", "--keep");
            error = await Assert.ThrowsAsync<IOException>(() => put);
        }
        finally
        {
            await S3TestServer.ScriptAsync("start");
        }

        // The abort could not reach the server either: the message says so, with the upload's id, which the bucket
        // indeed still holds, and how such leftovers are removed.
        Assert.StartsWith($"Putting {file} to s3://{TestS3.Bucket}/{prefix}video.mp4 failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"the incomplete multipart upload {uploadId} of s3://{TestS3.Bucket}/{prefix}video.mp4 could not be aborted",
            error.Message, StringComparison.Ordinal);
        Assert.Contains("AbortIncompleteMultipartUpload", error.Message, StringComparison.Ordinal);
        var left = Assert.Single(await S3TestServer.IncompleteUploadsAsync(prefix));
        Assert.Equal(uploadId, left.UploadId);
        using var client = S3TestServer.Client();
        await client.AbortMultipartUploadAsync(TestS3.Bucket, left.Key, left.UploadId);
        Assert.Empty(await S3TestServer.IncompleteUploadsAsync(prefix));
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_is_a_clear_error_and_leaves_nothing_behind()
    {
        var prefix = S3TestServer.NewPrefix();
        using var store = S3TestServer.Store(prefix, bucket: "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8]);
        var small = TestFiles.Random(_temp.File("small"), 1000);
        var large = TestFiles.Random(_temp.File("large"), 20 * MiB);

        var smallError = await Assert.ThrowsAsync<IOException>(() => store.PutAsync("small", small, CancellationToken.None));
        var largeError = await Assert.ThrowsAsync<IOException>(() => store.PutAsync("large", large, CancellationToken.None));

        Assert.Contains("NoSuchBucket (HTTP 404)", smallError.Message, StringComparison.Ordinal);
        Assert.Contains("NoSuchBucket (HTTP 404)", largeError.Message, StringComparison.Ordinal);
        Assert.Empty(await S3TestServer.IncompleteUploadsAsync(prefix));
    }

    [Fact]
    public async Task Credentials_come_from_the_environment_and_an_unknown_key_is_refused_without_the_secret_in_any_message()
    {
        var prefix = S3TestServer.NewPrefix();
        var wrongKey = "GHWRONG" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        var file = TestFiles.Random(_temp.File("small"), 1000);
        var previous = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", wrongKey);
        try
        {
            var logs = new CapturedLogs();
            using var store = S3TestServer.Store(prefix, logs: logs);
            var error = await Assert.ThrowsAsync<IOException>(() => store.PutAsync("small", file, CancellationToken.None));

            Assert.Contains("InvalidAccessKeyId (HTTP 403)", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(TestS3.SecretKey, error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(logs.Lines, l => l.Contains(TestS3.SecretKey, StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", previous);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await S3TestServer.FailPartsAfterAsync(null);
        _temp.Dispose();
    }
}
