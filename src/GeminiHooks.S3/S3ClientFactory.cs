using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using GeminiHooks.Configuration;

namespace GeminiHooks.S3;

/// <summary>
/// The S3 client for <c>GeminiHooks:Artifacts:S3</c>. Credentials are never configured here: the SDK finds them in its
/// usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared credentials file, web identity,
/// the container or instance role), so no secret sits in appsettings.json or reaches a log line.
/// </summary>
static class S3ClientFactory
{
    /// <summary>The region S3-compatible services are signed for when none is set (MinIO's and most others' default).</summary>
    public const string DefaultCompatibleRegion = "us-east-1";

    public static AmazonS3Client Create(ArtifactS3Options options)
    {
        var config = new AmazonS3Config { ForcePathStyle = options.ForcePathStyle };
        if (!string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = string.IsNullOrWhiteSpace(options.Region) ? DefaultCompatibleRegion : options.Region;
            // The SDK's default adds CRC32 checksums as trailers of aws-chunked bodies, which AWS understands and many
            // S3-compatible servers do not (they store the framing as data or refuse the request): checksums only where
            // the API demands them.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        else if (!string.IsNullOrWhiteSpace(options.Region))
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        return new AmazonS3Client(config);
    }

    /// <summary>Whether the store talks to an S3-compatible service rather than AWS itself.</summary>
    public static bool IsCompatibleService(ArtifactS3Options options) => !string.IsNullOrWhiteSpace(options.ServiceUrl);
}
