using System.Security.Cryptography;

namespace GeminiHooks.S3.Tests;

/// <summary>Local files of a given size with random content, and their SHA-256.</summary>
static class TestFiles
{
    const int Chunk = 1024 * 1024;

    /// <summary>Writes <paramref name="bytes"/> random bytes to <paramref name="path"/>, a chunk at a time.</summary>
    public static string Random(string path, long bytes, int seed = 1)
    {
        var random = new Random(seed);
        var buffer = new byte[Chunk];
        using var file = File.Create(path);
        for (long written = 0; written < bytes; written += Chunk)
        {
            random.NextBytes(buffer);
            file.Write(buffer, 0, (int)Math.Min(Chunk, bytes - written));
        }
        return path;
    }

    public static async Task<string> Sha256Async(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(file));
    }

    public static async Task<(string Sha256, long Length)> Sha256Async(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }
        return (Convert.ToHexString(hash.GetHashAndReset()), length);
    }
}
