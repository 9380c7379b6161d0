using GeminiHooks.Configuration;
using GeminiHooks.Files;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Artifacts;

/// <summary>
/// Artifacts as files under <c>Artifacts:Path</c>. The spool file (already fsynced, in the same folder tree) is renamed
/// into place, so a reader never sees half a file and a put costs no copy.
/// </summary>
internal sealed class FileSystemArtifactStore(IOptions<GeminiHooksOptions> options) : IArtifactStore
{
    public const string StoreName = "FileSystem";

    readonly string _root = System.IO.Path.GetFullPath(options.Value.Artifacts.Path);

    public string Name => StoreName;

    public Task<string> PutAsync(string objectName, string localFile, CancellationToken cancellationToken)
    {
        var target = Resolve(System.IO.Path.Combine(_root, objectName));
        PrivateFiles.CreateFolderFor(target);
        if (PrivateFiles.IsSymbolicLink(target))
            throw new IOException($"{target} is a symbolic link; artifacts are written only to files the service owns");
        File.Move(localFile, target, overwrite: true);
        return Task.FromResult(target);
    }

    public Task<Stream> OpenReadAsync(string location, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(Resolve(location), new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        }));

    /// <summary>A full path under the root, or an exception: a location never leads the service outside its folder.</summary>
    string Resolve(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!full.StartsWith(_root + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new IOException($"{path} is not under Artifacts:Path");
        return full;
    }
}
