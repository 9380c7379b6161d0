using Xunit.Abstractions;

namespace GeminiHooks.S3.Tests;

/// <summary>
/// A large artifact is streamed from the file to the server part by part: the managed heap stays flat however large
/// the file is, instead of growing by the file's (or even one part's worth of copies') size.
/// </summary>
public sealed class MemoryTests(ITestOutputHelper output) : IDisposable
{
    const long MiB = 1024 * 1024;
    const long Limit = 64 * MiB;
    readonly TempDirectory _temp = new();

    [Fact]
    public async Task Putting_a_512_MB_file_grows_the_managed_heap_by_less_than_64_MB()
    {
        var prefix = S3TestServer.NewPrefix();
        using var store = S3TestServer.Store(prefix);
        var file = TestFiles.Random(_temp.File("responses.jsonl"), 512 * MiB);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var peak = baseline;
        using var stop = new CancellationTokenSource();
        // Sampled often enough to see a part-sized buffer (16 MiB) appear before a collection takes it away.
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                try { await Task.Delay(5, stop.Token); }
                catch (OperationCanceledException) { }
            }
        });

        var location = await store.PutAsync("big/responses.jsonl", file, CancellationToken.None);
        await stop.CancelAsync();
        await sampler;

        var growth = peak - baseline;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine($"managed heap growth at peak: {growth / MiB} MiB; allocated during the put: {allocated / MiB} MiB");
        Assert.True(growth < Limit, $"the managed heap grew by {growth / MiB} MiB putting 512 MiB (limit {Limit / MiB} MiB)");
        // Not one copy of the file passes through managed memory (a buffered put would allocate at least its size).
        Assert.True(allocated < 512 * MiB, $"{allocated / MiB} MiB were allocated putting a 512 MiB file");
        await using var read = await store.OpenReadAsync(location, CancellationToken.None);
        Assert.Equal((await TestFiles.Sha256Async(file), 512 * MiB), await TestFiles.Sha256Async(read));
    }

    public void Dispose() => _temp.Dispose();
}
