using GeminiHooks.Artifacts;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>The server's composition (Program) makes the S3 store the artifact store when the settings say S3.</summary>
public class S3CompositionTests
{
    [Fact]
    public async Task With_Store_S3_the_servers_artifact_store_is_the_S3_store_and_puts_into_the_configured_bucket()
    {
        using var data = new TempDirectory();
        var prefix = $"tests/{Guid.NewGuid():N}/";
        await using var receiver = new Receiver(data.Path, TestS3.ServerSettings(prefix));
        using var client = receiver.Start();

        var store = receiver.Services.GetRequiredService<IArtifactStore>();
        var file = data.File("result.jsonl");
        await File.WriteAllTextAsync(file, "{\"key\":\"1\"}\n");
        var location = await store.PutAsync("batches/1/responses.jsonl", file, CancellationToken.None);

        Assert.Equal("S3", store.Name);
        Assert.Equal($"s3://{TestS3.Bucket}/{prefix}batches/1/responses.jsonl", location);
        await using var read = await store.OpenReadAsync(location, CancellationToken.None);
        using var reader = new StreamReader(read);
        Assert.Equal("{\"key\":\"1\"}\n", await reader.ReadToEndAsync());
    }
}
