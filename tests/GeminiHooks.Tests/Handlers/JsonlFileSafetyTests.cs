using GeminiHooks.Events;
using GeminiHooks.Handlers.BuiltIn;

namespace GeminiHooks.Tests.Handlers;

/// <summary>
/// The archive holds event data: created 0600 in a 0700 folder, an existing file narrowed to 0600, and neither the
/// archive nor its lock followed through a symbolic link. Real files, real modes, real links.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes are POSIX
public class JsonlFileSafetyTests
{
    const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    const UnixFileMode PrivateFolder = Private | UnixFileMode.UserExecute;

    [Fact]
    public async Task A_new_archive_and_its_lock_are_0600_in_a_new_0700_folder()
    {
        using var dir = new TempDirectory();
        var path = dir.File("archive/nested/events.jsonl");
        using var files = new JsonlFiles();
        Assert.Null(files.TryLock(path));
        await WriteAsync(files, path, "msg_1");

        Assert.Equal(Private, File.GetUnixFileMode(path));
        Assert.Equal(Private, File.GetUnixFileMode(path + ".lock"));
        Assert.Equal(PrivateFolder, File.GetUnixFileMode(dir.File("archive/nested")));
        Assert.Equal(PrivateFolder, File.GetUnixFileMode(dir.File("archive")));
    }

    [Fact]
    public async Task An_existing_world_readable_archive_is_narrowed_to_0600_on_first_write()
    {
        using var dir = new TempDirectory();
        var path = dir.File("events.jsonl");
        await File.WriteAllTextAsync(path, "");
        File.SetUnixFileMode(path, Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var files = new JsonlFiles();
        await WriteAsync(files, path, "msg_1");
        Assert.Equal(Private, File.GetUnixFileMode(path));
        Assert.Single(File.ReadAllLines(path));
    }

    [Fact]
    public async Task A_symlinked_lock_is_refused_and_its_target_is_left_untouched()
    {
        using var dir = new TempDirectory();
        var victim = dir.File("victim.txt");
        await File.WriteAllTextAsync(victim, "precious");
        var path = dir.File("events.jsonl");
        File.CreateSymbolicLink(path + ".lock", victim);

        using var files = new JsonlFiles();
        var problem = files.TryLock(path);
        Assert.NotNull(problem);
        Assert.Contains("symbolic link", problem, StringComparison.Ordinal);
        Assert.Equal("precious", await File.ReadAllTextAsync(victim));
    }

    [Fact]
    public async Task A_symlinked_archive_is_refused_at_lock_time_and_at_write_time()
    {
        using var dir = new TempDirectory();
        var victim = dir.File("victim.txt");
        await File.WriteAllTextAsync(victim, "precious");
        var path = dir.File("events.jsonl");
        File.CreateSymbolicLink(path, victim);

        using var files = new JsonlFiles();
        Assert.Contains("symbolic link", files.TryLock(path), StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => WriteAsync(files, path, "msg_1"));
        Assert.Equal("precious", await File.ReadAllTextAsync(victim));
    }

    static Task WriteAsync(JsonlFiles files, string path, string webhookId)
    {
        var now = DateTimeOffset.UtcNow;
        return new JsonlHandler(files, path).HandleAsync(GeminiEventReader.Read("batch.expired",
            """{"type":"batch.expired","data":{"id":"batches/x"}}"""u8.ToArray(),
            new DeliveryInfo("static", webhookId, now, now, 1, "archive")), CancellationToken.None);
    }
}
