using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace GeminiHooks.Ingest;

/// <summary>
/// The body of a delivery, read into a pooled buffer that grows with the bytes actually received (never with what
/// <c>Content-Length</c> announces): a client that announces 256 KiB and sends nothing holds one small buffer, not
/// 256 KiB. Dispose returns the buffer; what must outlive the request (the stored body) is copied out first.
/// </summary>
readonly struct RequestBody : IDisposable
{
    /// <summary>Gemini's deliveries are a few hundred bytes: most bodies fit the first buffer.</summary>
    internal const int InitialBufferSize = 4 * 1024;

    readonly byte[]? _buffer;
    readonly int _length;

    RequestBody(byte[]? buffer, int length, Rejection? failure)
    {
        _buffer = buffer;
        _length = length;
        Failure = failure;
    }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>Why the body could not be read; null when it was read (or the client went away: check the request).</summary>
    public Rejection? Failure { get; }

    /// <summary>
    /// Reads the whole body, failing with 413 past <paramref name="maxBody"/>, 408 when Kestrel's minimum data rate
    /// ends a trickled read, 400 when its framing is broken. A client that goes away ends the read with
    /// <see cref="OperationCanceledException"/>, which the caller answers by answering nothing.
    /// </summary>
    public static async Task<RequestBody> ReadAsync(HttpContext context, int maxBody)
    {
        // The size limit is ours (413 with a problem body), not Kestrel's default.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = null;
        var limit = maxBody + 1; // one byte more than allowed tells "too large" from "exactly the limit"
        var first = context.Request.ContentLength is { } declared ? (int)Math.Min(declared + 1, InitialBufferSize) : InitialBufferSize;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit, Math.Max(first, 1)));
        var total = 0;
        try
        {
            while (true)
            {
                if (total == buffer.Length)
                    buffer = Grow(buffer, total, limit);
                var read = await context.Request.Body.ReadAsync(buffer.AsMemory(total, Math.Min(buffer.Length, limit) - total), context.RequestAborted);
                if (read == 0)
                    return new RequestBody(buffer, total, null);
                total += read;
                if (total > maxBody)
                    return Failed(ref buffer, Rejection.BodyTooLarge(maxBody));
            }
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's minimum body data rate (a trickled body) surfaces as 408; other framing errors as 400/413.
            return Failed(ref buffer, e.StatusCode switch
            {
                StatusCodes.Status408RequestTimeout => Rejection.BodyReadTimeout,
                StatusCodes.Status413PayloadTooLarge => Rejection.BodyTooLarge(maxBody),
                _ => Rejection.BodyUnreadable,
            });
        }
        catch (IOException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Failed(ref buffer, Rejection.BodyUnreadable);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    static RequestBody Failed(ref byte[] buffer, Rejection failure)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
        return new RequestBody(null, 0, failure);
    }

    /// <summary>Doubles the buffer (up to the limit), keeping what was read.</summary>
    static byte[] Grow(byte[] buffer, int used, int limit)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(limit, buffer.Length * 2));
        buffer.AsSpan(0, used).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    public void Dispose()
    {
        if (_buffer is not null)
            ArrayPool<byte>.Shared.Return(_buffer);
    }
}
