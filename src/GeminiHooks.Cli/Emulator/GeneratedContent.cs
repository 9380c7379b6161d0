using System.Security.Cryptography;

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
