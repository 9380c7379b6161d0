using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Transfer;
using GeminiHooks.Artifacts;
using GeminiHooks.Configuration;
using GeminiHooks.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

// One measured operation per process, so the peak RSS (VmHWM) is that operation's alone:
//   store <file> <name>        S3ArtifactStore.PutAsync (AddGeminiHooksS3, Artifacts:S3:Prefix = bench/)
//   transfer <file> <name>     the AWS SDK's TransferUtility.UploadAsync (16 MiB parts, its default concurrency)
//   get <file> <name>          S3ArtifactStore.OpenReadAsync of bench/<name>, hashed, compared with <file>
// The server comes from tests/scripts/s3.sh (GEMINIHOOKS_TEST_S3_URL, GEMINIHOOKS_TEST_S3_BUCKET, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY). Prints one line: method, bytes, seconds, MB/s, RSS before and peak RSS in MB.
if (args.Length != 3 || args[0] is not ("store" or "transfer" or "get"))
{
    Console.Error.WriteLine("usage: GeminiHooks.Bench.S3 store|transfer|get <file> <name>");
    return 2;
}
var (method, file, name) = (args[0], args[1], args[2]);
var url = Environment.GetEnvironmentVariable("GEMINIHOOKS_TEST_S3_URL") ?? throw new InvalidOperationException("run eval \"$(tests/scripts/s3.sh start)\" first");
var bucket = Environment.GetEnvironmentVariable("GEMINIHOOKS_TEST_S3_BUCKET") ?? "geminihooks";
const string Prefix = "bench/";

var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["GeminiHooks:Artifacts:Store"] = "S3",
    ["GeminiHooks:Artifacts:S3:Bucket"] = bucket,
    ["GeminiHooks:Artifacts:S3:Prefix"] = Prefix,
    ["GeminiHooks:Artifacts:S3:ServiceUrl"] = url,
    ["GeminiHooks:Artifacts:S3:ForcePathStyle"] = "true",
}).Build();
var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
services.AddGeminiHooksS3(configuration);
await using var provider = services.BuildServiceProvider();
_ = provider.GetRequiredService<IOptions<GeminiHooksOptions>>().Value; // the start-up checks
var store = provider.GetRequiredService<IArtifactStore>();
using var client = new AmazonS3Client(new AmazonS3Config
{
    ServiceURL = url,
    ForcePathStyle = true,
    AuthenticationRegion = "us-east-1",
    RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
    ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
});
using var transfer = new TransferUtility(client);

// Warm-up on a small file (JIT, connection pool), then the measured run.
var warm = Path.Combine(Path.GetTempPath(), $"geminihooks-bench-s3-warm-{Environment.ProcessId}");
await File.WriteAllBytesAsync(warm, RandomNumberGenerator.GetBytes(1024 * 1024));
try
{
    await store.PutAsync("warm", warm, CancellationToken.None);
}
finally
{
    File.Delete(warm);
}
GC.Collect();
var rssBefore = ProcStatus("VmRSS");
var length = new FileInfo(file).Length;
var started = Stopwatch.GetTimestamp();
var detail = "";
switch (method)
{
    case "store":
        detail = await store.PutAsync(name, file, CancellationToken.None);
        break;
    case "transfer":
        await transfer.UploadAsync(new TransferUtilityUploadRequest
        {
            BucketName = bucket,
            Key = Prefix + name,
            FilePath = file,
            PartSize = 16L * 1024 * 1024,
        });
        detail = $"s3://{bucket}/{Prefix}{name}";
        break;
    default:
        await using (var read = await store.OpenReadAsync($"s3://{bucket}/{Prefix}{name}", CancellationToken.None))
        {
            var got = Convert.ToHexString(await SHA256.HashDataAsync(read));
            var seconds0 = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await using var local = File.OpenRead(file);
            var want = Convert.ToHexString(await SHA256.HashDataAsync(local));
            detail = got == want ? "sha256 equal" : $"SHA-256 DIFFERS: {got} != {want}";
            Report(seconds0);
            return got == want ? 0 : 1;
        }
}
Report(Stopwatch.GetElapsedTime(started).TotalSeconds);
return 0;

void Report(double seconds) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{method}\t{length}\t{seconds:F2}\t{length / seconds / 1e6:F1}\t{rssBefore / 1024:F0}\t{ProcStatus("VmHWM") / 1024:F0}\t{detail}"));

// KiB, from /proc/self/status: VmRSS now, VmHWM the peak since the process began.
static long ProcStatus(string field) => long.Parse(File.ReadLines("/proc/self/status")
    .First(l => l.StartsWith(field + ":", StringComparison.Ordinal))
    .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
