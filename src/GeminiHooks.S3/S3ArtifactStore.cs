using System.Diagnostics;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using GeminiHooks.Artifacts;
using GeminiHooks.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.S3;

/// <summary>
/// Artifacts in an S3 bucket (AWS or any S3-compatible service), under <c>Artifacts:S3:Prefix</c>. A file up to one
/// part is one PUT; a larger one a multipart upload streamed from the file, aborted when it fails.
/// </summary>
sealed class S3ArtifactStore : IArtifactStore, IDisposable
{
    public const string StoreName = "S3";

    /// <summary>Large enough that a 2 GB responses file is 128 requests, small enough that a failed part is cheap to resend.</summary>
    public const long DefaultPartSize = 16L * 1024 * 1024;

    readonly AmazonS3Client _client;
    readonly ArtifactS3Options _options;
    readonly ILogger<S3ArtifactStore> _logger;

    public S3ArtifactStore(IOptions<ArtifactOptions> options, ILogger<S3ArtifactStore> logger)
        : this(options.Value.S3, logger, DefaultPartSize)
    {
    }

    /// <param name="partSize">At least 5 MiB, S3's smallest part but the last.</param>
    internal S3ArtifactStore(ArtifactS3Options options, ILogger<S3ArtifactStore> logger, long partSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partSize, 5L * 1024 * 1024);
        _options = options;
        _logger = logger;
        PartSize = partSize;
        _client = S3ClientFactory.Create(options);
    }

    public string Name => StoreName;

    internal long PartSize { get; }

    public async Task<string> PutAsync(string objectName, string localFile, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(objectName);
        ArgumentException.ThrowIfNullOrEmpty(localFile);
        if (objectName.StartsWith('/'))
            throw new ArgumentException($"The object name '{objectName}' must be relative", nameof(objectName));
        var length = new FileInfo(localFile).Length; // throws FileNotFoundException for a missing file
        var target = new S3Location(_options.Bucket, _options.Prefix + objectName);
        var started = Stopwatch.GetTimestamp();
        var compatible = S3ClientFactory.IsCompatibleService(_options);
        int parts;
        try
        {
            if (length <= PartSize)
            {
                await _client.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = target.Bucket,
                    Key = target.Key,
                    FilePath = localFile,
                    UseChunkEncoding = !compatible,
                }, cancellationToken);
                parts = 1;
            }
            else
            {
                var upload = new MultipartFileUpload(_client, target, compatible, _logger);
                parts = await upload.RunAsync(localFile, length, MultipartFileUpload.PartSizeFor(length, PartSize), cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"Putting {localFile} to {target} failed: {Describe(e)}", e);
        }
        _logger.LogInformation("Put {Location} ({Bytes} bytes in {Parts} parts) in {ElapsedMs} ms",
            target.ToString(), length, parts, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return target.ToString();
    }

    public async Task<Stream> OpenReadAsync(string location, CancellationToken cancellationToken)
    {
        var source = S3Location.Parse(location);
        try
        {
            var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = source.Bucket, Key = source.Key },
                cancellationToken);
            // Disposing the body stream releases the connection; the response holds nothing else.
            return response.ResponseStream;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"{location} does not exist: {Describe(e)}", location, e);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"Reading {location} failed: {Describe(e)}", e);
        }
    }

    /// <summary>What went wrong, in one line: S3's error code and HTTP status where the service answered.</summary>
    static string Describe(Exception e) => e switch
    {
        AmazonServiceException service when !string.IsNullOrEmpty(service.ErrorCode) =>
            $"{service.ErrorCode} (HTTP {(int)service.StatusCode}): {service.Message}",
        AmazonServiceException service when service.StatusCode != 0 => $"HTTP {(int)service.StatusCode}: {service.Message}",
        _ => e.Message,
    };

    public void Dispose() => _client.Dispose();
}
