namespace GeminiHooks.TestSupport;

/// <summary>
/// The S3-compatible server tests/scripts/s3.sh started (scripts/test.sh starts it). No test that needs it is skipped
/// without it: a missing server is a failure that says what to run.
/// </summary>
public static class TestS3
{
    public static string Url => Require("GEMINIHOOKS_TEST_S3_URL");
    public static string Bucket => Require("GEMINIHOOKS_TEST_S3_BUCKET");
    public static string AccessKey => Require("AWS_ACCESS_KEY_ID");
    public static string SecretKey => Require("AWS_SECRET_ACCESS_KEY");

    /// <summary>The script that started the server, for tests that stop and start it.</summary>
    public static string Script => Require("GEMINIHOOKS_TEST_S3_SCRIPT");

    /// <summary>
    /// Fails, saying what to run, when the keys are not set. The store reads them through the SDK's chain, which would
    /// otherwise look further (profiles, instance metadata) and fail with a message that does not.
    /// </summary>
    public static void RequireKeys()
    {
        _ = AccessKey;
        _ = SecretKey;
    }

    /// <summary>The server settings that make the test server the artifact store, under <paramref name="prefix"/>.</summary>
    public static Dictionary<string, string?> ServerSettings(string prefix)
    {
        RequireKeys();
        return new()
        {
            ["GeminiHooks:Artifacts:Store"] = "S3",
            ["GeminiHooks:Artifacts:S3:Bucket"] = Bucket,
            ["GeminiHooks:Artifacts:S3:ServiceUrl"] = Url,
            ["GeminiHooks:Artifacts:S3:ForcePathStyle"] = "true",
            ["GeminiHooks:Artifacts:S3:Prefix"] = prefix,
        };
    }

    static string Require(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{name} is not set: run the suite with scripts/test.sh, or start the S3 test server first with eval \"$(tests/scripts/s3.sh start)\"");
}
