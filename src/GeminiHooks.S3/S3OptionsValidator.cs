using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.S3;

/// <summary>
/// Start-up validation of <c>GeminiHooks:Artifacts:S3</c> when <c>Artifacts:Store</c> is <c>S3</c>: one line per bad
/// key, so a missing bucket stops the start instead of failing the first download hours later. It runs with the
/// validation of the whole <c>GeminiHooks</c> section, which the host checks while it is built: its lines come out
/// with the other settings' lines, before the host starts (and so before it logs a start-up failure of its own).
/// </summary>
sealed class S3OptionsValidator(IOptions<ArtifactOptions> artifacts) : IValidateOptions<GeminiHooksOptions>
{
    const string S = GeminiHooksOptions.SectionName + ":Artifacts:S3";

    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options) => Validate(artifacts.Value);

    static ValidateOptionsResult Validate(ArtifactOptions options)
    {
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
        // Only the variables are read: the SDK's own region chain would also ask the instance metadata service, a
        // network call at start on any machine that is not an EC2 instance.
        else if (string.IsNullOrWhiteSpace(s3.Region) && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("AWS_REGION")) &&
                 string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION")))
            Fail("Region", "is empty and neither AWS_REGION nor AWS_DEFAULT_REGION is set: name the bucket's region (e.g. eu-west-1), or set ServiceUrl for an S3-compatible service");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
