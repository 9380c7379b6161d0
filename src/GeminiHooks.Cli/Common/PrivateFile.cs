namespace GeminiHooks.Cli.Common;

/// <summary>
/// Key and secret files the CLI writes: created new (never over an existing file, whose mode and owner would be kept,
/// nor through a symbolic link someone else placed), readable by the owner only where the OS supports it.
/// </summary>
static class PrivateFile
{
    /// <summary>Refuses early, before any remote call whose result would then have nowhere to go.</summary>
    public static void EnsureAbsent(string path)
    {
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
            throw new CliException($"{path} exists; the CLI never overwrites a key or secret file (remove it or choose another).");
    }

    public static void Write(string path, string content)
    {
        EnsureAbsent(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }
}
