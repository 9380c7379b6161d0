namespace GeminiHooks.Storage.Sqlite;

/// <summary>
/// The database file is created before SQLite opens it, private to the service's user: the folder 0700, the file 0600
/// (SQLite gives its -wal and -shm files the mode of the database file). SQLite itself would create the file with the
/// process's umask, usually world-readable. An existing file or folder keeps the mode the operator gave it.
/// </summary>
static class SqliteDatabaseFile
{
    const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void CreatePrivate(string path)
    {
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(directory);
            else
                Directory.CreateDirectory(directory, PrivateFolder);
        }
        if (File.Exists(path))
            return;
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = PrivateFile;
        try
        {
            using var created = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created by another process in the meantime: theirs stands.
        }
    }
}
