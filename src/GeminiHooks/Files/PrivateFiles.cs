namespace GeminiHooks.Files;

/// <summary>
/// Files the service writes (the development secret, jsonl archives and their locks) hold secrets or event data: they
/// are created 0600 in folders created 0700, and an existing file opened for writing loses any group or other bits.
/// A symbolic link where such a file should be is refused: it would send the write (or a lock's truncation) to a file
/// someone else chose. Folders that already exist are left as they are (a mounted volume belongs to its owner).
/// </summary>
static class PrivateFiles
{
    const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode GroupAndOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                       UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder of <paramref name="path"/> (and its missing parents) as 0700.</summary>
    public static void CreateFolderFor(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (string.IsNullOrEmpty(folder) || Directory.Exists(folder))
            return;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }
        // The mode given to CreateDirectory applies to the last folder only: each missing parent is made 0700 too.
        var missing = new Stack<string>();
        for (var current = folder; !string.IsNullOrEmpty(current) && !Directory.Exists(current); current = Path.GetDirectoryName(current))
            missing.Push(current);
        while (missing.TryPop(out var next))
            Directory.CreateDirectory(next, OwnerFolder);
    }

    /// <summary>True when <paramref name="path"/> is a symbolic link (dangling or not).</summary>
    public static bool IsSymbolicLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>
    /// Opens (creating when the mode says so) a file private to the service's user.
    /// </summary>
    /// <exception cref="IOException">The path is a symbolic link, or the file cannot be opened.</exception>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share)
    {
        if (IsSymbolicLink(path))
            throw new IOException($"{path} is a symbolic link; the service writes only files it owns");
        CreateFolderFor(path);
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows() && mode != FileMode.Open)
            options.UnixCreateMode = OwnerFile; // applies only when the file is created
        var stream = new FileStream(path, options);
        try
        {
            // An existing file keeps its mode on open: narrow it through the handle (no second lookup of the path).
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(stream.SafeFileHandle) & GroupAndOther) != 0)
                File.SetUnixFileMode(stream.SafeFileHandle, File.GetUnixFileMode(stream.SafeFileHandle) & ~GroupAndOther);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
