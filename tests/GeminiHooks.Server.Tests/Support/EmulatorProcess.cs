namespace GeminiHooks.Server.Tests.Support;

/// <summary>
/// <c>geminihooks emulate</c> run in-process as the CLI runs it, on a free loopback port; disposing it stops it.
/// <see cref="Client"/> sends the API key every Gemini route wants.
/// </summary>
sealed class EmulatorProcess : IAsyncDisposable
{
    readonly CancellationTokenSource _stop;
    readonly Task<int> _run;

    EmulatorProcess(CancellationTokenSource stop, Task<int> run, string root, HttpClient client)
    {
        _stop = stop;
        _run = run;
        Root = root;
        Client = client;
    }

    /// <summary>http://127.0.0.1:&lt;port&gt;, without a trailing slash.</summary>
    public string Root { get; }

    public HttpClient Client { get; }

    /// <param name="apiKey">The key <see cref="Client"/> sends.</param>
    /// <param name="options">More <c>emulate</c> options (<c>--api-key</c>, retry settings, ...).</param>
    public static async Task<EmulatorProcess> StartAsync(string apiKey, params string[] options)
    {
        var output = new StringWriter();
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => GeminiHooks.Cli.Program.RunAsync(["emulate", "--port", "0", .. options],
            TextWriter.Synchronized(output), TextWriter.Null, stop.Token));
        string? root = null;
        await Eventually.UntilAsync(() =>
        {
            var line = output.ToString().Split('\n').FirstOrDefault(l => l.StartsWith("Gemini emulator listening on ", StringComparison.Ordinal));
            root = line?["Gemini emulator listening on ".Length..].Trim();
            return Task.FromResult(root is not null || run.IsCompleted);
        });
        Assert.NotNull(root);
        var client = new HttpClient { BaseAddress = new Uri(root + "/") };
        client.DefaultRequestHeaders.Add("x-goog-api-key", apiKey);
        return new EmulatorProcess(stop, run, root, client);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        Client.Dispose();
        _stop.Dispose();
    }
}
