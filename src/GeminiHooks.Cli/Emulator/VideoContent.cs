using System.Buffers.Binary;

namespace GeminiHooks.Cli.Emulator;

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
