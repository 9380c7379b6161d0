using GeminiHooks.Configuration;
using GeminiHooks.Files;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Artifacts;

/// <summary>
/// The <c>Artifacts</c> settings, checked at start when artifacts are on: one line per problem naming the key. The
/// FileSystem folder is created (0700) and written to once, so a path the service cannot write stops the start instead
/// of failing every download later.
/// </summary>
sealed class ArtifactOptionsValidator : IValidateOptions<GeminiHooksOptions>
{
    const string S = GeminiHooksOptions.SectionName + ":Artifacts";

    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var a = options.Artifacts;
        if (!a.Enabled)
            return ValidateOptionsResult.Success;
        var failures = new List<string>();
        void Fail(string key, string message) => failures.Add($"{S}:{key}: {message}");

        if (!string.Equals(a.Store, FileSystemArtifactStore.StoreName, StringComparison.OrdinalIgnoreCase) &&
            !string.Equals(a.Store, "S3", StringComparison.OrdinalIgnoreCase))
            Fail("Store", $"must be FileSystem or S3 (is '{a.Store}')");
        if (string.IsNullOrWhiteSpace(a.Path))
            Fail("Path", "must name a folder (downloads are spooled there, and the FileSystem store keeps artifacts there)");
        else if (Unwritable(a.Path) is { } reason)
            Fail("Path", $"'{a.Path}' is not writable ({reason})");
        if (string.IsNullOrWhiteSpace(options.Gemini.ApiKey))
            failures.Add($"{GeminiHooksOptions.SectionName}:Gemini:ApiKey: is empty: artifacts are fetched with the Gemini API key");
        if (options.Handlers.ContainsKey(ArtifactCollector.HandlerName))
            failures.Add($"{GeminiHooksOptions.SectionName}:Handlers:{ArtifactCollector.HandlerName}: the name is the built-in artifacts handler's; choose another");
        if (a.Concurrency is < 1 or > 64)
            Fail("Concurrency", $"must be between 1 and 64 (is {a.Concurrency})");
        if (a.MaxAttempts is < 1 or > 1000)
            Fail("MaxAttempts", $"must be between 1 and 1000 (is {a.MaxAttempts})");
        if (a.RetryBaseDelay <= TimeSpan.Zero || a.RetryMaxDelay < a.RetryBaseDelay)
            Fail("RetryBaseDelay", "must be positive and not longer than Artifacts:RetryMaxDelay");
        if (a.Lease < TimeSpan.FromSeconds(1))
            Fail("Lease", "must be at least 00:00:01");
        if (a.StoredWithin <= TimeSpan.Zero)
            Fail("StoredWithin", "must be positive");
        if (a.CheckpointLines is < 1 or > 10_000_000)
            Fail("CheckpointLines", $"must be between 1 and 10000000 (is {a.CheckpointLines})");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Null when a file can be created (0600) and deleted in the spool folder; otherwise why not.</summary>
    static string? Unwritable(string path)
    {
        try
        {
            var probe = System.IO.Path.Combine(System.IO.Path.GetFullPath(path), ".spool", $".probe-{Guid.NewGuid():N}");
            using (PrivateFiles.Open(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
            }
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return e.GetType().Name;
        }
    }
}
