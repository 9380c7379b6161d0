namespace GeminiHooks.Server.Tests.Support;

/// <summary>
/// The Release publish output, run the way the Dockerfile's ENTRYPOINT runs it: <c>dotnet GeminiHooks.Server.dll</c>
/// in the publish folder, Production environment, settings from environment variables only.
/// Published once per test run into artifacts/test-publish.
/// </summary>
static class PublishedServer
{
    static readonly Lazy<Task<string>> Published = new(PublishAsync);

    public static Task<string> DirectoryAsync() => Published.Value;

    static async Task<string> PublishAsync()
    {
        var output = Path.Combine(Repository.Root, "artifacts", "test-publish");
        var result = await ChildProcess.RunAsync("dotnet", ["publish", Path.Combine(Repository.Root, "src", "GeminiHooks.Server"), "-c", "Release", "-o", output, "--nologo"],
            Repository.Root, TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0)
            throw new InvalidOperationException("dotnet publish failed: " + result.Output);
        return output;
    }
}
