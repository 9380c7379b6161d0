using System.Globalization;
using System.Text;

namespace GeminiHooks.Cli.Emulator;

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
