using System.Collections.Concurrent;

namespace GeminiHooks.Server.Tests.Artifacts;

/// <summary>What a test's result handler saw: how many times each (job, key) came, and how many were errors.</summary>
sealed class ResultLog
{
    public ConcurrentDictionary<(string Job, string? Key), int> Seen { get; } = new();
    public int Errors;
    public long LastLine;
}
