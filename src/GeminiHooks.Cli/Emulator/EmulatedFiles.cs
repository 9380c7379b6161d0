using System.Collections.Concurrent;

namespace GeminiHooks.Cli.Emulator;

/// <summary>The emulator's Files API files by id (<c>files/{id}</c> without the prefix).</summary>
internal sealed class EmulatedFiles
{
    readonly ConcurrentDictionary<string, EmulatedFile> _files = new(StringComparer.Ordinal);

    public void Add(EmulatedFile file) => _files[file.Id] = file;

    public EmulatedFile? Find(string id) => _files.GetValueOrDefault(id);

    public IReadOnlyList<EmulatedFile> All() => _files.Values.OrderBy(f => f.Id, StringComparer.Ordinal).ToList();
}
