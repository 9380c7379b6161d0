namespace GeminiHooks.Storage.Kit;

/// <summary>Numbered, forward-only migrations: a database at version N has had the first N applied.</summary>
public static class Migrations
{
    /// <summary>
    /// Applies the migrations after <paramref name="currentVersion"/> in order; <paramref name="apply"/> gets the
    /// migration's SQL and the version it brings the database to, and records that version with it.
    /// </summary>
    public static async Task ApplyAsync(int currentVersion, IReadOnlyList<string> migrations, Func<string, int, Task> apply)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentNullException.ThrowIfNull(apply);
        if (currentVersion > migrations.Count)
            throw new InvalidOperationException(
                $"The database is at schema version {currentVersion}, newer than this build knows ({migrations.Count}).");
        for (var i = currentVersion; i < migrations.Count; i++)
            await apply(migrations[i], i + 1).ConfigureAwait(false);
    }
}
