using System.Text.RegularExpressions;

namespace GeminiHooks.Server.Tests.Documentation;

/// <summary>
/// The README and docs/ are the map of the repository: every path they name exists, every relative link resolves, the
/// README's layout names every folder of the library, and docs/testing.md names every test project.
/// </summary>
public partial class DocumentedPathsTests
{
    /// <summary>A repository path in running text, a code span or a link (<c>../src/...</c> from docs/ included).</summary>
    [GeneratedRegex(@"(?:(?<=\.\./)|(?<![A-Za-z0-9_./-]))(?:src|tests|deploy|bench|samples|scripts|docs)/[A-Za-z0-9_.*/<>{}\-]*")]
    private static partial Regex RepositoryPath();

    /// <summary>The target of a Markdown link.</summary>
    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex LinkTarget();

    static IEnumerable<string> Documents() =>
        Directory.GetFiles(Path.Combine(Repository.Root, "docs"), "*.md", SearchOption.AllDirectories)
            .Prepend(Path.Combine(Repository.Root, "README.md"));

    static string Relative(string file) => Path.GetRelativePath(Repository.Root, file);

    /// <summary>What the repository ignores by exact path: files the operator creates (deploy/.env) and must never commit.</summary>
    static HashSet<string> IgnoredPaths() => File.ReadAllLines(Path.Combine(Repository.Root, ".gitignore"))
        .Select(l => l.Trim().TrimStart('/'))
        .Where(l => l.Contains('/', StringComparison.Ordinal) && !l.Contains('*', StringComparison.Ordinal))
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Whether a named path exists; a glob (<c>tests/*/*.Tests.csproj</c>) must match at least one file.</summary>
    static bool Exists(string path)
    {
        var full = Path.Combine(Repository.Root, path);
        if (!path.Contains('*', StringComparison.Ordinal))
            return File.Exists(full) || Directory.Exists(full);
        var parts = path.Split('/');
        IEnumerable<string> matches = [Repository.Root];
        foreach (var (part, i) in parts.Select((p, i) => (p, i)))
        {
            var last = i == parts.Length - 1;
            matches = matches.SelectMany(dir => Directory.Exists(dir)
                ? Directory.GetDirectories(dir, part).Concat(last ? Directory.GetFiles(dir, part) : [])
                : []).ToList();
        }
        return matches.Any();
    }

    [Fact]
    public void Every_repository_path_the_docs_name_exists()
    {
        var ignored = IgnoredPaths();
        var named = 0;
        var missing = new List<string>();
        foreach (var document in Documents())
        {
            var lines = File.ReadAllLines(document);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match match in RepositoryPath().Matches(lines[i]))
                {
                    var path = match.Value.TrimEnd('.', ',', ';', ':', ')');
                    // A placeholder (<name>, {id}) names no one file.
                    if (path.IndexOfAny(['<', '>', '{', '}']) >= 0)
                        continue;
                    named++;
                    if (!Exists(path) && !ignored.Contains(path))
                        missing.Add($"{Relative(document)}:{i + 1} names {path}, which does not exist");
                }
            }
        }
        Assert.Empty(missing);
        Assert.True(named > 100, $"only {named} paths found: the pattern no longer reads the docs");
    }

    [Fact]
    public void Every_relative_link_in_the_docs_resolves()
    {
        var broken = new List<string>();
        foreach (var document in Documents())
        {
            foreach (Match match in LinkTarget().Matches(File.ReadAllText(document)))
            {
                var target = match.Groups[1].Value.Split('#')[0];
                if (target.Length == 0 || target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                    continue;
                var full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(document)!, target));
                if (!File.Exists(full) && !Directory.Exists(full))
                    broken.Add($"{Relative(document)} links to {match.Groups[1].Value}, which does not exist");
            }
        }
        Assert.Empty(broken);
    }

    [Fact]
    public void The_README_layout_names_every_folder_of_the_library()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var start = readme.IndexOf("## Layout", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no Layout section");
        var block = readme[start..].Split("```")[1];
        var listed = Regex.Matches(block, @"^ {4}([A-Za-z]+)/", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();

        var folders = Directory.GetDirectories(Path.Combine(Repository.Root, "src", "GeminiHooks"))
            .Select(Path.GetFileName)
            .Where(name => name is not ("bin" or "obj"))
            .ToHashSet();
        Assert.Empty(folders.Except(listed!).Select(f => $"src/GeminiHooks/{f}/ is not in the README's layout"));
        Assert.Empty(listed.Except(folders!).Select(f => $"the README's layout lists {f}/, which src/GeminiHooks does not have"));
    }

    [Fact]
    public void The_testing_guide_names_every_test_project()
    {
        var guide = File.ReadAllText(Path.Combine(Repository.Root, "docs", "testing.md"));
        var projects = Directory.GetFiles(Path.Combine(Repository.Root, "tests"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => "tests/" + Path.GetFileNameWithoutExtension(p))
            .ToList();
        Assert.NotEmpty(projects);
        Assert.Empty(projects.Where(p => !guide.Contains($"`{p}`", StringComparison.Ordinal))
            .Select(p => $"docs/testing.md does not name {p}"));
    }
}
