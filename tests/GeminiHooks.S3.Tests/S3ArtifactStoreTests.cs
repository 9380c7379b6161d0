using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace GeminiHooks.S3.Tests;

/// <summary>Putting and reading artifacts through the S3 store against the real test server.</summary>
public sealed class S3ArtifactStoreTests : IDisposable
{
    const long MiB = 1024 * 1024;
    readonly TempDirectory _temp = new();

    [Fact]
    public async Task A_file_of_several_parts_reads_back_with_the_same_SHA256()
    {
        var prefix = S3TestServer.NewPrefix();
        var logs = new CapturedLogs();
        using var store = S3TestServer.Store(prefix, logs: logs);
        var file = TestFiles.Random(_temp.File("responses.jsonl"), 40 * MiB);

        var location = await store.PutAsync("batches/abc/responses.jsonl", file, CancellationToken.None);

        Assert.Equal($"s3://{TestS3.Bucket}/{prefix}batches/abc/responses.jsonl", location);
        await using var read = await store.OpenReadAsync(location, CancellationToken.None);
        var (sha256, length) = await TestFiles.Sha256Async(read);
        Assert.Equal(40 * MiB, length);
        Assert.Equal(await TestFiles.Sha256Async(file), sha256);
        // Put as three parts: 16 + 16 + 8 MiB.
        Assert.Contains(logs.Lines, l => l.Contains($"{location} (41943040 bytes in 3 parts)", StringComparison.Ordinal));
        Assert.Empty(await S3TestServer.IncompleteUploadsAsync(prefix));
    }

    [Fact]
    public async Task A_small_file_is_one_put_and_an_empty_file_is_stored_empty()
    {
        var prefix = S3TestServer.NewPrefix();
        using var store = S3TestServer.Store(prefix);
        var small = TestFiles.Random(_temp.File("small"), 3000);
        var empty = _temp.File("empty");
        await File.WriteAllBytesAsync(empty, []);

        var smallLocation = await store.PutAsync("small.bin", small, CancellationToken.None);
        var emptyLocation = await store.PutAsync("empty.bin", empty, CancellationToken.None);

        await using (var read = await store.OpenReadAsync(smallLocation, CancellationToken.None))
            Assert.Equal((await TestFiles.Sha256Async(small), 3000L), await TestFiles.Sha256Async(read));
        await using (var read = await store.OpenReadAsync(emptyLocation, CancellationToken.None))
            Assert.Equal(0L, (await TestFiles.Sha256Async(read)).Length);
    }

    [Fact]
    public async Task The_prefix_is_put_before_every_object_name_and_nothing_lands_outside_it()
    {
        var prefix = S3TestServer.NewPrefix() + "gemini/";
        using var store = S3TestServer.Store(prefix);
        var file = TestFiles.Random(_temp.File("video.mp4"), 1000);

        var location = await store.PutAsync("videos/v1/video.mp4", file, CancellationToken.None);

        using var client = S3TestServer.Client();
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = TestS3.Bucket,
            Prefix = prefix[..prefix.IndexOf("gemini/", StringComparison.Ordinal)],
        });
        var key = Assert.Single(listed.S3Objects).Key;
        Assert.Equal(prefix + "videos/v1/video.mp4", key);
        Assert.Equal($"s3://{TestS3.Bucket}/{key}", location);
    }

    [Fact]
    public async Task Putting_the_same_name_again_replaces_the_object()
    {
        var prefix = S3TestServer.NewPrefix();
        using var store = S3TestServer.Store(prefix, partSize: 5 * MiB);
        var first = TestFiles.Random(_temp.File("first"), 12 * MiB, seed: 1);
        var second = TestFiles.Random(_temp.File("second"), 7 * MiB, seed: 2);

        var firstLocation = await store.PutAsync("job/responses.jsonl", first, CancellationToken.None);
        var secondLocation = await store.PutAsync("job/responses.jsonl", second, CancellationToken.None);

        Assert.Equal(firstLocation, secondLocation);
        await using var read = await store.OpenReadAsync(secondLocation, CancellationToken.None);
        Assert.Equal((await TestFiles.Sha256Async(second), 7 * MiB), await TestFiles.Sha256Async(read));
    }

    [Fact]
    public async Task Reading_a_location_that_does_not_exist_is_a_FileNotFoundException_naming_it()
    {
        using var store = S3TestServer.Store(S3TestServer.NewPrefix());
        var location = $"s3://{TestS3.Bucket}/{S3TestServer.NewPrefix()}missing.jsonl";

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => store.OpenReadAsync(location, CancellationToken.None));

        Assert.Contains(location, error.Message, StringComparison.Ordinal);
        var s3 = Assert.IsAssignableFrom<AmazonS3Exception>(error.InnerException);
        Assert.Equal(HttpStatusCode.NotFound, s3.StatusCode);
    }

    [Theory]
    [InlineData("/tmp/file")]
    [InlineData("s3://bucket-only")]
    [InlineData("s3://bucket/")]
    [InlineData("https://bucket/key")]
    public async Task A_location_that_is_not_s3_bucket_key_is_refused(string location)
    {
        using var store = S3TestServer.Store(S3TestServer.NewPrefix());
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(location, CancellationToken.None));
        Assert.Contains("s3://bucket/key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_local_file_is_a_FileNotFoundException_before_anything_is_sent()
    {
        var prefix = S3TestServer.NewPrefix();
        using var store = S3TestServer.Store(prefix);
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.PutAsync("x", _temp.File("nope"), CancellationToken.None));
        Assert.Empty(await S3TestServer.IncompleteUploadsAsync(prefix));
    }

    public void Dispose() => _temp.Dispose();
}
