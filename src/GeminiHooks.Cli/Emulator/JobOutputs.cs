using System.Globalization;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// What a finished job leaves to download, from the finish request: a succeeded batch gets a responses file of
/// <c>output_lines</c> lines (default 3) of <c>line_bytes</c> bytes (default 256), or about <c>output_bytes</c> bytes
/// (whole lines), or with <c>inline_lines</c> its responses inline in the batch resource instead of a file; a generated
/// video gets a file of <c>video_bytes</c> bytes (default 1024). Files expire 48 hours after the finish.
/// </summary>
internal sealed record JobOutputs(long Lines, int LineBytes, int InlineLines, long VideoBytes)
{
    public static (JobOutputs? Outputs, string? Problem) Read(JsonObject body, string type)
    {
        var lineBytes = Number(body, "line_bytes") ?? 256;
        if (lineBytes is < ResponsesContent.MinLineBytes or > 65_536)
            return (null, $"line_bytes is {ResponsesContent.MinLineBytes}-65536.");
        var lines = Number(body, "output_lines");
        if (Number(body, "output_bytes") is { } bytes)
            lines = Math.Max(1, bytes / lineBytes);
        var inline = Number(body, "inline_lines");
        var video = Number(body, "video_bytes");
        if (lines is < 0 or > 50_000_000 || inline is < 0 or > 10_000 || video is < 1 or > 4L << 30)
            return (null, "output_lines is 0-50000000 (output_bytes up to that many lines), inline_lines 0-10000, video_bytes 1-4294967296.");
        if ((lines is not null || inline is not null) && type != "batch.succeeded" || video is not null && type != "video.generated")
            return (null, "output_lines, output_bytes and inline_lines go with batch.succeeded; video_bytes with video.generated.");
        return (new JobOutputs(lines ?? 3, (int)lineBytes, (int)(inline ?? -1), video ?? 1024), null);
    }

    /// <summary>Creates the files (or inline responses) of the job, which just ended with <paramref name="type"/>.</summary>
    public EmulatedJob Publish(EmulatedJob job, string type, EmulatedFiles files, JobRegistry jobs, DateTimeOffset now)
    {
        if (type == "batch.succeeded" && InlineLines >= 0)
        {
            var inline = new JsonArray();
            for (var i = 1; i <= InlineLines; i++)
                inline.Add(ResponsesContent.IsError(i)
                    ? new JsonObject { ["metadata"] = new JsonObject { ["key"] = ResponsesContent.Key(i) }, ["error"] = new JsonObject { ["code"] = 400, ["message"] = $"emulated failure of request {i}" } }
                    : new JsonObject { ["metadata"] = new JsonObject { ["key"] = ResponsesContent.Key(i) }, ["response"] = new JsonObject { ["candidates"] = new JsonArray(new JsonObject { ["content"] = new JsonObject { ["role"] = "model", ["parts"] = new JsonArray(new JsonObject { ["text"] = $"answer {i}" }) } }) } });
            job = job with { InlineResponses = inline };
            jobs.Add(job);
        }
        else if (type == "batch.succeeded")
            Add(files, job.ShortId + "-output", new ResponsesContent(Lines, LineBytes), now);
        else if (type == "video.generated")
            Add(files, job.ShortId + "-video", new VideoContent(VideoBytes), now);
        return job;
    }

    static void Add(EmulatedFiles files, string id, GeneratedContent content, DateTimeOffset now) =>
        files.Add(new EmulatedFile(id, content, CliJson.Rfc3339(now), CliJson.Rfc3339(now.AddHours(48)), Convert.ToBase64String(content.Sha256())));

    static long? Number(JsonObject body, string name) =>
        body[name] is JsonValue v && (v.TryGetValue<long>(out var n) ||
            v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out n)) ? n : null;
}
