using System.Net.Http.Headers;
using Amazon.S3;
using Amazon.S3.Model;
using GeminiHooks.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

// The fault switch is the server's, and the memory test measures the whole process: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace GeminiHooks.S3.Tests;

/// <summary>
/// What the S3 store tests do with the test server (<see cref="TestS3"/>): stores and SDK clients on it, its incomplete
/// uploads, stopping and starting it, its fault switch.
/// </summary>
static class S3TestServer
{
    /// <summary>The store's settings for the test server, under a prefix of the test's own.</summary>
    public static ArtifactS3Options Options(string prefix, string? bucket = null)
    {
        TestS3.RequireKeys();
        return new ArtifactS3Options
        {
            Bucket = bucket ?? TestS3.Bucket,
            Prefix = prefix,
            ServiceUrl = TestS3.Url,
            ForcePathStyle = true,
        };
    }

    /// <summary>A store on the test server; <paramref name="partSize"/> as the tests need it (the default is 16 MiB).</summary>
    public static S3ArtifactStore Store(string prefix, long partSize = S3ArtifactStore.DefaultPartSize, string? bucket = null,
        CapturedLogs? logs = null) =>
        new(Options(prefix, bucket), logs is null ? NullLogger<S3ArtifactStore>.Instance : new Logger<S3ArtifactStore>(new LoggerFactory([logs])),
            partSize);

    /// <summary>A unique prefix per test, so tests never see each other's objects.</summary>
    public static string NewPrefix() => $"tests/{Guid.NewGuid():N}/";

    /// <summary>An SDK client of the test's own, to look at the bucket independently of the store.</summary>
    public static AmazonS3Client Client() => new(TestS3.AccessKey, TestS3.SecretKey, new AmazonS3Config
    {
        ServiceURL = TestS3.Url,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>The multipart uploads the server holds under <paramref name="prefix"/> (started, neither completed nor aborted).</summary>
    public static async Task<List<MultipartUpload>> IncompleteUploadsAsync(string prefix)
    {
        using var client = Client();
        var response = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = TestS3.Bucket, Prefix = prefix });
        return response.MultipartUploads ?? [];
    }

    /// <summary>Stops (keeping its data, <c>stop --keep</c>) or starts the test server through the script that started it.</summary>
    public static async Task ScriptAsync(params string[] arguments)
    {
        var (code, output) = await ChildProcess.RunAsync("bash", [TestS3.Script, .. arguments], Repository.Root, TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"s3.sh {string.Join(' ', arguments)} failed: {output}");
    }

    /// <summary>
    /// The test server's fault switch (tests/s3server/server.cjs): every UploadPart after the next
    /// <paramref name="after"/> answers 500; null clears it.
    /// </summary>
    public static async Task FailPartsAfterAsync(int? after)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post,
            $"{TestS3.Url}/__faults" + (after is { } n ? $"?uploadPart=500&after={n}" : ""));
        request.Headers.Authorization = new AuthenticationHeaderValue("AWS4-HMAC-SHA256", $"Credential={TestS3.AccessKey}/test");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
}
