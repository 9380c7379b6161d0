using System.Buffers;
using System.Globalization;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using static GeminiHooks.Cli.Emulator.ApiRequests;
using static GeminiHooks.Cli.Emulator.GoogleErrors;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// The Files API reads the receiver's artifacts use: <c>GET /{v}/files/{id}</c> (the File resource: <c>name</c>,
/// <c>mimeType</c>, <c>sizeBytes</c>, <c>sha256Hash</c> (base64), <c>createTime</c>, <c>expirationTime</c>, <c>uri</c>,
/// <c>downloadUri</c>, <c>state</c>) and <c>GET /{v}/files/{id}:download?alt=media</c> (also under <c>/download/{v}/</c>),
/// with single <c>Range: bytes=N-</c> / <c>bytes=N-M</c> requests answered 206. Range support at Gemini is an assumption.
/// Test controls: <c>POST /emulator/files/{id}/expire</c> (404 from then on) and <c>POST /emulator/files/{id}/cut</c>
/// (<c>{"after_bytes": N, "count": 1}</c>: the next downloads' connections are cut after N bytes).
/// </summary>
internal static class FilesApi
{
    public static void Map(RouteGroupBuilder version, string apiVersion, EmulatedFiles files)
    {
        version.MapGet("/files/{idAndMethod}", (string idAndMethod, HttpContext context) =>
        {
            if (idAndMethod.EndsWith(":download", StringComparison.Ordinal))
                return DownloadAsync(files, idAndMethod[..^":download".Length], context);
            return Task.FromResult(files.Find(idAndMethod) is { Expired: false } file
                ? Results.Json(Resource(file, apiVersion, context.Request))
                : NotFound($"File files/{idAndMethod} does not exist (or has expired)."));
        });
    }

    /// <summary>The media download route the REST reference names: <c>/download/{v}/files/{id}:download</c>.</summary>
    public static void MapMediaRoute(RouteGroupBuilder download, EmulatedFiles files) =>
        download.MapGet("/files/{idAndMethod}", (string idAndMethod, HttpContext context) =>
            idAndMethod.EndsWith(":download", StringComparison.Ordinal)
                ? DownloadAsync(files, idAndMethod[..^":download".Length], context)
                : Task.FromResult(NotFound("Only :download is served under /download.")));

    public static void MapControls(WebApplication app, EmulatedFiles files)
    {
        app.MapGet("/emulator/files", () => Results.Json(new
        {
            files = files.All().Select(f => new
            {
                name = "files/" + f.Id,
                size_bytes = f.Content.Length,
                f.Expired,
                downloads = f.Downloads,
                ranged_downloads = f.RangedDownloads,
            }),
        }, CliJson.Snake));
        app.MapPost("/emulator/files/{id}/expire", (string id) =>
        {
            if (files.Find(id) is not { } file)
                return NotFound($"No file 'files/{id}'.");
            file.Expired = true;
            return Results.Json(new { name = "files/" + id, expired = true });
        });
        app.MapPost("/emulator/files/{id}/cut", async (string id, HttpRequest request, CancellationToken ct) =>
        {
            var body = await ReadObjectAsync(request, ct);
            var after = body?["after_bytes"] is JsonValue a && a.TryGetValue<long>(out var n) ? n : -1;
            var count = body?["count"] is JsonValue c && c.TryGetValue<int>(out var k) ? k : 1;
            if (after < 0 || count is < 1 or > 100)
                return InvalidArgument("Send {\"after_bytes\": N (0 or more), \"count\": 1-100}.");
            if (files.Find(id) is not { } file)
                return NotFound($"No file 'files/{id}'.");
            file.ArmCut(after, count);
            return Results.Json(new { name = "files/" + id, after_bytes = after, count });
        });
    }

    static JsonObject Resource(EmulatedFile file, string apiVersion, HttpRequest request)
    {
        var root = $"{request.Scheme}://{request.Host}";
        return new JsonObject
        {
            ["name"] = "files/" + file.Id,
            ["mimeType"] = file.Content.MimeType,
            // int64 fields are strings in Google's JSON mapping.
            ["sizeBytes"] = file.Content.Length.ToString(CultureInfo.InvariantCulture),
            ["createTime"] = file.CreateTime,
            ["updateTime"] = file.CreateTime,
            ["expirationTime"] = file.ExpirationTime,
            ["sha256Hash"] = file.Sha256Base64,
            ["uri"] = $"{root}/{apiVersion}/files/{file.Id}",
            ["downloadUri"] = $"{root}/download/{apiVersion}/files/{file.Id}:download?alt=media",
            ["state"] = "ACTIVE",
            ["source"] = "GENERATED",
        };
    }

    static async Task<IResult> DownloadAsync(EmulatedFiles files, string id, HttpContext context)
    {
        if (files.Find(id) is not { Expired: false } file)
            return NotFound($"File files/{id} does not exist (or has expired).");
        var length = file.Content.Length;
        long start = 0, end = length - 1;
        var range = context.Request.Headers.Range.ToString();
        Interlocked.Increment(ref file.Downloads);
        if (range.Length > 0)
        {
            if (!TryParseRange(range, length, out start, out end))
                return Results.Json(new { error = new { code = 416, message = "Range not satisfiable.", status = "OUT_OF_RANGE" } },
                    statusCode: StatusCodes.Status416RangeNotSatisfiable);
            Interlocked.Increment(ref file.RangedDownloads);
        }
        var response = context.Response;
        response.StatusCode = range.Length > 0 ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
        response.ContentType = file.Content.MimeType;
        response.ContentLength = end - start + 1;
        response.Headers.AcceptRanges = "bytes";
        if (range.Length > 0)
            response.Headers.ContentRange = new ContentRangeHeaderValue(start, end, length).ToString();
        var cut = file.TakeCut();
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long sent = 0;
            for (var offset = start; offset <= end;)
            {
                var want = (int)Math.Min(buffer.Length, end - offset + 1);
                if (cut >= 0 && sent + want > cut)
                    want = (int)(cut - sent);
                if (want > 0)
                {
                    var read = file.Content.Read(offset, buffer.AsSpan(0, want));
                    await response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                    offset += read;
                    sent += read;
                }
                if (cut >= 0 && sent >= cut)
                {
                    // The test asked for a broken transfer: flush what was sent, then drop the connection.
                    await response.Body.FlushAsync(context.RequestAborted);
                    context.Abort();
                    return Results.Empty;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Results.Empty;
    }

    /// <summary>One range, <c>bytes=N-</c> or <c>bytes=N-M</c>, within the file.</summary>
    static bool TryParseRange(string header, long length, out long start, out long end)
    {
        start = 0;
        end = length - 1;
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(',', StringComparison.Ordinal))
            return false;
        var parts = header["bytes=".Length..].Split('-');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out start) || start >= length)
            return false;
        if (parts[1].Length > 0 && (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start))
            return false;
        end = Math.Min(end, length - 1);
        return true;
    }
}
