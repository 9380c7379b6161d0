using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace GeminiHooks.Server.Tests.Deployment;

/// <summary>
/// No container engine runs here: the image's runtime is exercised on the same publish output elsewhere
/// (<see cref="PublishedServerTests"/>), and these tests hold the Dockerfile to what a build needs and what the
/// image promises: every project the server builds from is in the context, the runtime base is chiseled and pinned.
/// </summary>
public partial class DockerfileTests
{
    static readonly string[] Lines = File.ReadAllLines(Path.Combine(Repository.Root, "Dockerfile"));

    static IEnumerable<string> RuntimeStage => Lines.SkipWhile(l => !l.StartsWith("FROM ", StringComparison.Ordinal) || !l.Contains(" AS runtime", StringComparison.Ordinal));

    [Fact]
    public void The_runtime_base_is_a_chiseled_aspnet_image_pinned_by_digest()
    {
        var from = RuntimeStage.First();
        Assert.Matches(PinnedChiseled(), from);
    }

    [Fact]
    public void The_runtime_stage_runs_nothing_since_a_chiseled_image_has_no_shell_and_runs_as_the_app_user()
    {
        Assert.DoesNotContain(RuntimeStage, l => l.StartsWith("RUN ", StringComparison.Ordinal));
        Assert.Contains(RuntimeStage, l => l.Trim() == "USER $APP_UID");
        Assert.Contains(RuntimeStage, l => l.Contains("--chmod=0700", StringComparison.Ordinal) && l.Contains("--chown=$APP_UID", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_project_the_server_builds_from_is_copied_into_the_build_stage()
    {
        var copies = Lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)).ToList();
        foreach (var project in ProjectsOf(Path.Combine(Repository.Root, "src", "GeminiHooks.Server", "GeminiHooks.Server.csproj")))
        {
            var relative = Path.GetRelativePath(Repository.Root, project).Replace('\\', '/');
            var folder = Path.GetDirectoryName(relative)!.Replace('\\', '/') + "/";
            Assert.Contains(copies, c => c.Contains(relative, StringComparison.Ordinal)); // for the restore layer
            Assert.Contains(copies, c => c.StartsWith($"COPY {folder} ", StringComparison.Ordinal)); // the sources
        }
        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
            Assert.Contains(copies, c => c.Split(' ').Contains(file));
    }

    /// <summary>The project and every project it references, transitively.</summary>
    static HashSet<string> ProjectsOf(string project)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var next))
        {
            if (!found.Add(next))
                continue;
            foreach (var reference in XDocument.Load(next).Descendants("ProjectReference"))
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!,
                    reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar))));
        }
        return found;
    }

    [GeneratedRegex(@"^FROM mcr\.microsoft\.com/dotnet/aspnet:10\.0-[a-z]+-chiseled@sha256:[0-9a-f]{64} AS runtime$")]
    private static partial Regex PinnedChiseled();
}
