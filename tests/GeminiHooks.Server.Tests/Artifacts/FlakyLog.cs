using System.Collections.Concurrent;

namespace GeminiHooks.Server.Tests.Artifacts;

/// <summary>What <see cref="FlakyResultHandler"/> threw on and the lines it recorded, in order.</summary>
sealed class FlakyLog
{
    public ConcurrentDictionary<string, bool> Thrown { get; } = new();
    public ConcurrentQueue<long> Lines { get; } = new();
}
