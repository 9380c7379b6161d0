using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using GeminiHooks.Configuration;
using GeminiHooks.Files;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Artifacts;

/// <summary>
/// Streams a Files API file into a spool file: <c>GET {BaseUrl}/{ApiVersion}/files/{id}:download?alt=media</c> (the
/// route python-genai's <c>files.download</c> builds), API key in the <c>x-goog-api-key</c> header, never in the URL.
/// The SHA-256 is computed while streaming; progress is fsynced and handed to <c>saveProgress</c> every 64 MB (or 15 s), so a cut
/// resumes with <c>Range: bytes=N-</c> where the last saved progress ends (a server that ignores the range restarts it).
/// </summary>
internal sealed class FileDownloader(HttpClient http, IOptionsMonitor<GeminiHooksOptions> options)
{
    const int BufferSize = 1 << 20;
    const long SaveEvery = 64L << 20;

    /// <summary>Progress is also saved this often, so a slow download renews its lease well before it runs out.</summary>
    static readonly TimeSpan SaveAfter = TimeSpan.FromSeconds(15);

    /// <param name="bytesDone">What the spool held fsynced at the last saved progress.</param>
    /// <param name="saveProgress">Records fsynced progress; false when the lease was lost (the download stops).</param>
    public async Task<DownloadOutcome> DownloadAsync(string fileId, string spool, long bytesDone, Func<long, Task<bool>> saveProgress,
        CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Gemini;
        var uri = new Uri($"{settings.BaseUrl.TrimEnd('/')}/{settings.ApiVersion}/files/{Uri.EscapeDataString(fileId)}:download?alt=media");
        await using var file = PrivateFiles.Open(spool, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        // Bytes past the last saved progress were never promised durable: drop them and fetch them again.
        var done = file.Length >= bytesDone ? bytesDone : 0;
        file.SetLength(done);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await HashPrefixAsync(file, done, hash, buffer, cancellationToken);
            // A cut that made progress is resumed at once (up to a few times); one that made none waits for a retry.
            for (var resumes = 0; ; resumes++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                request.Headers.TryAddWithoutValidation("x-goog-api-key", settings.ApiKey);
                if (done > 0)
                    request.Headers.Range = new RangeHeaderValue(done, null);
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(settings.Timeout);
                HttpResponseMessage response;
                try
                {
                    response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    return DownloadOutcome.Retry("download request failed: " + e.GetType().Name, done);
                }
                using (response)
                {
                    if (response.StatusCode == HttpStatusCode.NotFound)
                        return DownloadOutcome.Gone("the file is gone at the source (HTTP 404)");
                    if (!response.IsSuccessStatusCode)
                        return DownloadOutcome.Retry($"download answered HTTP {(int)response.StatusCode}", done);
                    if (done > 0 && (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentRange?.From != done))
                    {
                        // The range was not honoured: the body is the whole file, from the start.
                        done = 0;
                        file.SetLength(0);
                        hash.GetHashAndReset();
                    }
                    file.Position = done;
                    var before = done;
                    var saved = done;
                    var lastSave = System.Diagnostics.Stopwatch.StartNew();
                    try
                    {
                        await using var body = await response.Content.ReadAsStreamAsync(idle.Token);
                        int read;
                        while ((read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), idle.Token)) > 0)
                        {
                            idle.CancelAfter(settings.Timeout);
                            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                            hash.AppendData(buffer, 0, read);
                            done += read;
                            if (done - saved >= SaveEvery || lastSave.Elapsed >= SaveAfter)
                            {
                                lastSave.Restart();
                                await file.FlushAsync(cancellationToken);
                                file.Flush(flushToDisk: true);
                                saved = done;
                                if (!await saveProgress(done))
                                    return DownloadOutcome.Retry("the lease was taken over by another process", done);
                            }
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                    {
                        await file.FlushAsync(cancellationToken);
                        file.Flush(flushToDisk: true);
                        await saveProgress(done);
                        if (done > before && resumes < 5)
                            continue;
                        return DownloadOutcome.Retry($"download cut after {done.ToString(CultureInfo.InvariantCulture)} bytes ({e.GetType().Name})", done);
                    }
                    await file.FlushAsync(cancellationToken);
                    file.Flush(flushToDisk: true);
                    return DownloadOutcome.Done(done, Convert.ToHexStringLower(hash.GetHashAndReset()));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Hashes what the spool already holds, so a resumed download's SHA-256 covers the whole file.</summary>
    static async Task HashPrefixAsync(FileStream file, long length, IncrementalHash hash, byte[] buffer, CancellationToken cancellationToken)
    {
        file.Position = 0;
        var left = length;
        while (left > 0)
        {
            var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, left)), cancellationToken);
            if (read == 0)
                throw new IOException("The spool file is shorter than its recorded progress.");
            hash.AppendData(buffer, 0, read);
            left -= read;
        }
    }
}
