namespace GeminiHooks.TestSupport;

/// <summary>Paths in the repository, found by walking up to GeminiHooks.sln from the test binaries.</summary>
public static class Repository
{
    /// <summary>The repository root: the folder holding GeminiHooks.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>tests/js: the independent implementations (npm standardwebhooks, jose, @google/genai) the tests run.</summary>
    public static string JsDirectory => Path.Combine(Root, "tests", "js");

    /// <summary>tests/js, with a clear failure when <c>npm ci</c> has not been run there.</summary>
    public static string RequireNodeModules()
    {
        if (!Directory.Exists(Path.Combine(JsDirectory, "node_modules", "@google", "genai")) ||
            !Directory.Exists(Path.Combine(JsDirectory, "node_modules", "standardwebhooks")))
            throw new InvalidOperationException($"tests/js/node_modules is missing or incomplete in {Root}; run: npm ci --prefix tests/js");
        return JsDirectory;
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GeminiHooks.sln")))
                return dir.FullName;
        throw new InvalidOperationException("GeminiHooks.sln not found above " + AppContext.BaseDirectory);
    }
}
