namespace GeminiHooks.Storage.Kit;

/// <summary>Collects the rows of <see cref="StoreSql.CountByStatus"/>.</summary>
sealed class BacklogCountsReader
{
    readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string status, long count) => _counts[status] = count;

    public BacklogCounts ToCounts() => new(
        _counts.GetValueOrDefault(RunStatus.Pending), _counts.GetValueOrDefault(RunStatus.Running),
        _counts.GetValueOrDefault(RunStatus.Succeeded), _counts.GetValueOrDefault(RunStatus.Dead));
}
