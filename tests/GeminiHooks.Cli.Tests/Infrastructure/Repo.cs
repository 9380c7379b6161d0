namespace GeminiHooks.Cli.Tests.Infrastructure;

/// <summary>Paths in the repository, found by walking up to GeminiHooks.sln from the test binaries.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string JsDir => Path.Combine(Root, "tests", "js");

    /// <summary>The Node tools' directory, with a clear failure when <c>npm ci</c> has not been run.</summary>
    public static string RequireNodeModules()
    {
        if (!Directory.Exists(Path.Combine(JsDir, "node_modules", "@google", "genai")) ||
            !Directory.Exists(Path.Combine(JsDir, "node_modules", "standardwebhooks")))
            throw new InvalidOperationException($"tests/js/node_modules is missing or incomplete in {Root}; run: npm ci --prefix tests/js");
        return JsDir;
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GeminiHooks.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"GeminiHooks.sln not found above {AppContext.BaseDirectory}.");
    }
}
