using System.Collections.Concurrent;
using GeminiHooks.Files;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>One <see cref="JsonlFile"/> per path for the process, so reloads and several handlers share its lock and index.</summary>
sealed class JsonlFiles : IDisposable
{
    readonly ConcurrentDictionary<string, JsonlFile> _files = new(StringComparer.Ordinal);

    readonly ConcurrentDictionary<string, FileStream> _locks = new(StringComparer.Ordinal);
    readonly Lock _lockGate = new();

    public JsonlFile Get(string path) => _files.GetOrAdd(Path.GetFullPath(path), p => new JsonlFile(p));

    /// <summary>
    /// Holds <c>&lt;path&gt;.lock</c> open with no sharing until the process ends: on Linux and macOS .NET backs that with
    /// an exclusive advisory lock (flock), on Windows with the share mode, so a second process cannot open it. The
    /// kernel drops the lock when the process dies, even by <c>kill -9</c>. Answers why the lock could not be taken.
    /// </summary>
    public string? TryLock(string path)
    {
        var full = Path.GetFullPath(path);
        lock (_lockGate)
        {
            if (_locks.ContainsKey(full))
                return null;
            var lockPath = full + ".lock";
            // Checked before the lock is taken, so a planted link stops the start instead of a later write.
            if (PrivateFiles.IsSymbolicLink(full))
                return $"'{path}' is a symbolic link; point Path at the file itself";
            if (PrivateFiles.IsSymbolicLink(lockPath))
                return $"its lock {lockPath} is a symbolic link; remove it (the service creates the lock itself)";
            try
            {
                var stream = PrivateFiles.Open(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                // For the operator who finds the file: which process holds it.
                stream.SetLength(0);
                var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
                stream.Write(pid);
                stream.Flush();
                _locks[full] = stream;
                return null;
            }
            catch (IOException)
            {
                return $"'{path}' is in use by another process (its lock {lockPath} is held); " +
                       "one process per jsonl file: give each replica its own path";
            }
            catch (UnauthorizedAccessException e)
            {
                return $"'{path}' cannot be locked: {e.Message}";
            }
        }
    }

    public void Dispose()
    {
        foreach (var file in _files.Values)
            file.Dispose();
        foreach (var held in _locks.Values)
            held.Dispose(); // the lock file stays; an unlocked one is taken over by the next start
        _locks.Clear();
    }
}
