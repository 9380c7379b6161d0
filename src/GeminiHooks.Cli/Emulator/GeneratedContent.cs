using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// A file's bytes made on demand from a rule, never held in memory: any range can be produced on its own (so a 1 GB
/// file costs nothing until read, and a Range request starts anywhere), and the same rule always gives the same bytes.
/// </summary>
internal abstract class GeneratedContent
{
    public abstract long Length { get; }

    public abstract string MimeType { get; }

    /// <summary>Writes the bytes at <paramref name="offset"/> into <paramref name="destination"/> (all of it, or up to the end).</summary>
    public abstract int Read(long offset, Span<byte> destination);

    /// <summary>The SHA-256 of the whole content, computed by reading it once.</summary>
    public byte[] Sha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long offset = 0; offset < Length;)
        {
            var read = Read(offset, buffer);
            hash.AppendData(buffer, 0, read);
            offset += read;
        }
        return hash.GetHashAndReset();
    }
}

/// <summary>
/// A batch responses file: <see cref="Lines"/> JSON lines of <see cref="LineBytes"/> bytes each (newline included),
/// keyed <c>request-00000001</c>…; every seventh line is an error, the others a <c>GenerateContentResponse</c>. Each
/// line is padded to the fixed width inside its text, which is what lets any offset be produced directly.
/// </summary>
internal sealed class ResponsesContent(long lines, int lineBytes) : GeneratedContent
{
    public const int MinLineBytes = 160;

    public long Lines { get; } = lines;
    public int LineBytes { get; } = lineBytes;
    public override long Length => Lines * LineBytes;
    public override string MimeType => "application/jsonl";

    /// <summary>Whether line <paramref name="number"/> (1-based) is an error line.</summary>
    public static bool IsError(long number) => number % 7 == 0;

    public static string Key(long number) => "request-" + number.ToString("D8", CultureInfo.InvariantCulture);

    public override int Read(long offset, Span<byte> destination)
    {
        var written = 0;
        var scratch = new byte[LineBytes];
        while (written < destination.Length && offset < Length)
        {
            var number = offset / LineBytes + 1;
            var within = (int)(offset % LineBytes);
            Line(number, scratch);
            var take = Math.Min(LineBytes - within, destination.Length - written);
            scratch.AsSpan(within, take).CopyTo(destination[written..]);
            written += take;
            offset += take;
        }
        return written;
    }

    void Line(long number, byte[] into)
    {
        var (head, tail) = IsError(number)
            ? ($"{{\"key\":\"{Key(number)}\",\"error\":{{\"code\":400,\"message\":\"emulated failure of request {number} ", "\",\"status\":\"INVALID_ARGUMENT\"}}")
            : ($"{{\"key\":\"{Key(number)}\",\"response\":{{\"candidates\":[{{\"content\":{{\"role\":\"model\",\"parts\":[{{\"text\":\"answer {number} ",
               "\"}]},\"finishReason\":\"STOP\"}]}}");
        var at = Encoding.ASCII.GetBytes(head, into);
        var tailBytes = Encoding.ASCII.GetByteCount(tail);
        into.AsSpan(at, LineBytes - 1 - tailBytes - at).Fill((byte)'x');
        Encoding.ASCII.GetBytes(tail, into.AsSpan(LineBytes - 1 - tailBytes));
        into[LineBytes - 1] = (byte)'\n';
    }
}

/// <summary>A video's bytes: a pseudo-random stream (SplitMix64 of each 8-byte block's index), reproducible at any offset.</summary>
internal sealed class VideoContent(long length) : GeneratedContent
{
    public override long Length { get; } = length;
    public override string MimeType => "video/mp4";

    public override int Read(long offset, Span<byte> destination)
    {
        var count = (int)Math.Min(destination.Length, Length - offset);
        Span<byte> block = stackalloc byte[8];
        for (var i = 0; i < count;)
        {
            var position = offset + i;
            BinaryPrimitives.WriteUInt64LittleEndian(block, Mix((ulong)(position >> 3)));
            var within = (int)(position & 7);
            var take = Math.Min(8 - within, count - i);
            block.Slice(within, take).CopyTo(destination[i..]);
            i += take;
        }
        return count;
    }

    static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
