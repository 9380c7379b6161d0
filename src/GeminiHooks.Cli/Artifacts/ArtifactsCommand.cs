using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;

namespace GeminiHooks.Cli.Artifacts;

/// <summary>
/// <c>geminihooks artifacts list [JOB]</c> and <c>geminihooks artifacts fetch JOB</c>: the receiver's stored batch outputs
/// and videos (its operator API, <c>/admin/artifacts</c>); fetch copies the stored file to a local one and checks its SHA-256.
/// </summary>
internal static class ArtifactsCommand
{
    public static Command Create(CliIo io)
    {
        var receiver = AdminClient.Options();
        var job = new Argument<string?>("job") { Description = "Only this job: batches/<id>, models/<model>/operations/<id>, or the bare id.", Arity = ArgumentArity.ZeroOrOne };
        var status = new Option<string?>("--status") { Description = "Only artifacts in this status: pending, downloading, stored, expired or failed." };
        var list = new Command("list", "List the artifacts (newest first) with their status, size and location.") { job, status, receiver.Url, receiver.AdminKey };
        list.SetAction(async (parse, ct) =>
        {
            using var http = receiver.Http(parse);
            var query = new List<string> { "limit=1000" };
            if (parse.GetValue(job) is { } name)
                query.Add("job=" + Uri.EscapeDataString(name));
            if (parse.GetValue(status) is { } wanted)
                query.Add("status=" + Uri.EscapeDataString(wanted));
            using var response = await http.GetAsync("admin/artifacts?" + string.Join('&', query), ct);
            var artifacts = (await AdminClient.ReadAsync(response, ct))["artifacts"]?.AsArray() ?? [];
            foreach (var artifact in artifacts)
                await io.Out.WriteLineAsync(Line(artifact!.AsObject()));
            if (artifacts.Count == 0)
                await io.Out.WriteLineAsync("no artifacts");
            return 0;
        });

        var fetchJob = new Argument<string>("job") { Description = "The job whose stored artifact to copy." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Where to write it (default: responses-<id>.jsonl or <id>.mp4 in the current folder)." };
        var fetch = new Command("fetch", "Copy a job's stored artifact from the receiver to a local file, checking its SHA-256.")
        {
            fetchJob, output, receiver.Url, receiver.AdminKey,
        };
        fetch.SetAction(async (parse, ct) =>
        {
            using var http = receiver.Http(parse);
            var name = parse.GetRequiredValue(fetchJob);
            var path = "admin/artifacts/" + string.Join('/', name.Split('/').Select(Uri.EscapeDataString));
            using var described = await http.GetAsync(path, ct);
            var artifact = await AdminClient.ReadAsync(described, ct);
            if (AdminClient.Text(artifact["status"]) != "stored")
                throw new CliException($"the artifact of {name} is {AdminClient.Text(artifact["status"])}, not stored ({AdminClient.Text(artifact["last_error"]) ?? "no error recorded"})");
            var id = name[(name.LastIndexOf('/') + 1)..];
            var target = parse.GetValue(output)?.FullName
                ?? Path.GetFullPath(AdminClient.Text(artifact["kind"]) == "video" ? id + ".mp4" : $"responses-{id}.jsonl");
            using var content = await http.GetAsync(path + "?download=true", HttpCompletionOption.ResponseHeadersRead, ct);
            if (!content.IsSuccessStatusCode)
                await AdminClient.ReadAsync(content, ct);
            string sha;
            await using (var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256))
            {
                await using var body = await content.Content.ReadAsStreamAsync(ct);
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            if (sha != AdminClient.Text(artifact["sha256"]))
                throw new CliException($"the copy's SHA-256 {sha} differs from the stored one's {AdminClient.Text(artifact["sha256"])}; {target} is incomplete");
            await io.Out.WriteLineAsync($"{target}  {new FileInfo(target).Length.ToString(CultureInfo.InvariantCulture)} bytes  sha256 {sha}");
            return 0;
        });
        return new Command("artifacts", "The batch outputs and videos the receiver stored (GeminiHooks:Artifacts).") { list, fetch };
    }

    static string Line(JsonObject a)
    {
        var size = a["size"] is JsonValue s && s.TryGetValue<long>(out var bytes) ? $"  {bytes.ToString(CultureInfo.InvariantCulture)} bytes" : "";
        var where = AdminClient.Text(a["location"]) is { } location ? "  " + location : "";
        var error = AdminClient.Text(a["status"]) != "stored" && AdminClient.Text(a["last_error"]) is { } e ? $"  ({e})" : "";
        return $"{AdminClient.Text(a["job"])}  {AdminClient.Text(a["kind"])}  {AdminClient.Text(a["status"])}{size}{where}{error}";
    }
}
