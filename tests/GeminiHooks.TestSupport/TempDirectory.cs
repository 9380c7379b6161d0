using Microsoft.Data.Sqlite;

namespace GeminiHooks.TestSupport;

/// <summary>A fresh folder under the system temp folder, deleted with the test.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("geminihooks-tests-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        // Pooled SQLite connections keep database files in the folder open; release them so it can be deleted.
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
