namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// A file at the emulator's Files API (a batch's responses file, a generated video), with the test controls' state:
/// expired files answer 404, and a armed cut closes the next downloads' connections after a number of bytes.
/// </summary>
internal sealed class EmulatedFile(string id, GeneratedContent content, string createTime, string expirationTime, string sha256Base64)
{
    readonly Lock _gate = new();
    long _cutAfter = -1;
    int _cuts;

    public string Id { get; } = id;
    public GeneratedContent Content { get; } = content;
    public string CreateTime { get; } = createTime;
    public string ExpirationTime { get; } = expirationTime;
    public string Sha256Base64 { get; } = sha256Base64;
    public bool Expired { get; set; }

    /// <summary>Download requests served, and how many of them asked for a range.</summary>
    public int Downloads;
    public int RangedDownloads;

    public void ArmCut(long afterBytes, int count)
    {
        lock (_gate)
        {
            _cutAfter = afterBytes;
            _cuts = count;
        }
    }

    /// <summary>How many bytes this download may send before its connection is cut (-1: no cut), counting one cut down.</summary>
    public long TakeCut()
    {
        lock (_gate)
        {
            if (_cuts <= 0)
                return -1;
            _cuts--;
            return _cutAfter;
        }
    }
}
