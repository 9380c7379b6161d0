using Amazon.Runtime;
using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.S3;

/// <summary>
/// Start-up validation of <c>GeminiHooks:Artifacts:S3</c> when <c>Artifacts:Store</c> is <c>S3</c>: one line per bad
/// key, so a missing bucket stops the start instead of failing the first download hours later.
/// </summary>
sealed class S3OptionsValidator : IValidateOptions<ArtifactOptions>
{
    const string S = GeminiHooksOptions.SectionName + ":Artifacts:S3";

    public ValidateOptionsResult Validate(string? name, ArtifactOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.Equals(options.Store, S3ArtifactStore.StoreName, StringComparison.OrdinalIgnoreCase))
            return ValidateOptionsResult.Success;
        var s3 = options.S3;
        var failures = new List<string>();
        void Fail(string key, string message) => failures.Add($"{S}:{key}: {message}");

        if (string.IsNullOrWhiteSpace(s3.Bucket))
            Fail("Bucket", "is empty: name the bucket artifacts are put in (Artifacts:Store is S3)");
        if (s3.Prefix.StartsWith('/'))
            Fail("Prefix", $"'{s3.Prefix}' must not start with '/' (object keys are relative to the bucket)");
        if (!string.IsNullOrWhiteSpace(s3.ServiceUrl))
        {
            if (!Uri.TryCreate(s3.ServiceUrl, UriKind.Absolute, out var url) ||
                (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                Fail("ServiceUrl", $"'{s3.ServiceUrl}' is not an absolute http or https URL (e.g. http://127.0.0.1:9000)");
            else if (!string.IsNullOrEmpty(url.UserInfo))
                // The value is not echoed: it holds what looks like a secret.
                Fail("ServiceUrl", "must not carry credentials: the AWS SDK reads them from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile or a role");
        }
        else if (string.IsNullOrWhiteSpace(s3.Region) && FallbackRegionFactory.GetRegionEndpoint() is null)
            Fail("Region", "is empty and no AWS region is set in the environment (AWS_REGION) or profile: name the bucket's region, or set ServiceUrl for an S3-compatible service");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
