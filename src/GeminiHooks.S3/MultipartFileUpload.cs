using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.S3;

/// <summary>
/// One file put as an S3 multipart upload: the parts are read from the file by the SDK as they are sent (no part is
/// ever held in memory), a few at a time, and the upload is completed or, on any failure or cancellation, aborted, so
/// the bucket keeps no orphaned parts that would be billed and never seen.
/// </summary>
sealed class MultipartFileUpload(IAmazonS3 client, S3Location target, bool compatibleService, ILogger logger)
{
    /// <summary>S3 allows at most this many parts in one upload; larger files get larger parts.</summary>
    const int MaxParts = 10_000;

    /// <summary>
    /// Parts in flight at once. Each is a file stream and a socket, not a buffer; a few hide the round trip per part
    /// without crowding the service's disk or the uplink.
    /// </summary>
    const int Concurrency = 4;

    /// <summary>How long an abort may take once the upload has failed (the caller's token may be the reason it failed).</summary>
    static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The part size for a file of <paramref name="length"/> bytes: <paramref name="preferred"/>, or more when
    /// the file would otherwise need more than 10,000 parts.</summary>
    public static long PartSizeFor(long length, long preferred) => Math.Max(preferred, (length + MaxParts - 1) / MaxParts);

    /// <summary>Uploads <paramref name="localFile"/> (<paramref name="length"/> bytes) and answers the number of parts.</summary>
    public async Task<int> RunAsync(string localFile, long length, long partSize, CancellationToken cancellationToken)
    {
        var initiated = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = target.Bucket,
            Key = target.Key,
        }, cancellationToken);
        var uploadId = initiated.UploadId;
        var count = (int)((length + partSize - 1) / partSize);
        var etags = new PartETag[count];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(1, count),
                new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
                async (number, token) =>
                {
                    var position = (number - 1) * partSize;
                    var response = await client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = target.Bucket,
                        Key = target.Key,
                        UploadId = uploadId,
                        PartNumber = number,
                        FilePath = localFile,
                        FilePosition = position,
                        PartSize = Math.Min(partSize, length - position),
                        IsLastPart = number == count,
                        // See S3ClientFactory: plain signed bodies for S3-compatible services.
                        UseChunkEncoding = !compatibleService,
                    }, token);
                    etags[number - 1] = new PartETag(number, response.ETag);
                });
            await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = target.Bucket,
                Key = target.Key,
                UploadId = uploadId,
                PartETags = [.. etags],
            }, cancellationToken);
            return count;
        }
        catch (Exception failure)
        {
            var abortProblem = await AbortAsync(uploadId);
            if (abortProblem is null)
                throw;
            throw new IOException($"{failure.Message}; the incomplete multipart upload {uploadId} of {target} could not be " +
                                  $"aborted ({abortProblem}): a lifecycle rule AbortIncompleteMultipartUpload on the bucket removes it", failure);
        }
    }

    /// <summary>Aborts the upload; answers null when done, or why it could not be.</summary>
    async Task<string?> AbortAsync(string uploadId)
    {
        using var timeout = new CancellationTokenSource(AbortTimeout);
        try
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = target.Bucket,
                Key = target.Key,
                UploadId = uploadId,
            }, timeout.Token);
            logger.LogInformation("Aborted the incomplete multipart upload {UploadId} of {Location}", uploadId, target.ToString());
            return null;
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not abort the incomplete multipart upload {UploadId} of {Location}: {Reason}",
                uploadId, target.ToString(), e.Message);
            return e.Message;
        }
    }
}
