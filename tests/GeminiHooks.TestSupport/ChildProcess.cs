using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GeminiHooks.TestSupport;

/// <summary>
/// A process the test starts (the published server, prometheus, a script): stdout and stderr collected into
/// <see cref="Log"/>, a clean environment, waits through <see cref="Eventually"/>, killed with its children on dispose.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();

    ChildProcess(ProcessStartInfo start)
    {
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Both output streams so far, line by line in the order they arrived.</summary>
    public string Log
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    void Collect(string? line)
    {
        if (line is not null)
            lock (_output) _output.AppendLine(line);
    }

    /// <param name="environment">Set on top of the test's own environment, from which every <c>ASPNETCORE_*</c> and
    /// <c>GeminiHooks__*</c> variable is removed first: nothing of the test host's settings leaks in.</param>
    public static ChildProcess Start(string file, IEnumerable<string> args, string workingDirectory,
        IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) ||
                                                              k.StartsWith("GeminiHooks__", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        // The server's metrics port defaults to 9464: servers started side by side each get a free one unless the
        // test picks it (other programs ignore the variable).
        start.Environment["GeminiHooks__Metrics__Port"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        return new ChildProcess(start);
    }

    /// <summary>Runs a command to its end; a run longer than <paramref name="timeout"/> is killed and throws.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, string workingDirectory,
        TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        await using var process = Start(file, args, workingDirectory, environment);
        return (await process.WaitForExitAsync(timeout), process.Log);
    }

    /// <summary>
    /// A loopback port free at the time of asking, chosen below the kernel's ephemeral range as tests/scripts/ports.sh
    /// does: a port inside that range, even one the kernel just handed to a listener, can be taken by any outgoing
    /// connection before the child process binds it.
    /// </summary>
    public static int FreePort()
    {
        const int Lowest = 10_000;
        var highest = EphemeralRangeStart() - 1;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(Lowest, highest + 1);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by a listener; try another.
            }
        }
        throw new InvalidOperationException($"No free loopback port between {Lowest} and {highest}.");
    }

    /// <summary>Where the kernel's ephemeral range starts; its default when unknown or too low to leave ports beneath.</summary>
    static int EphemeralRangeStart()
    {
        const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
        var start = File.Exists(RangeFile) && int.TryParse(File.ReadAllText(RangeFile).Split('\t', ' ')[0], out var first) ? first : 32_768;
        return start > 11_000 ? start : 32_768;
    }

    /// <summary>Waits for the exit code; kills the process and throws when it runs longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} " +
                                       $"did not finish in {timeout}: {Log}");
        }
        _process.WaitForExit(); // drains the output events
        return _process.ExitCode;
    }

    /// <summary>
    /// Polls <paramref name="path"/> through <paramref name="client"/> until it answers 2xx; fails at once, with the log,
    /// if the process exits first, and with the log after <paramref name="limit"/>.
    /// </summary>
    public async Task WaitUntilAnswersAsync(HttpClient client, string path, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(client);
        await Eventually.UntilAsync(async () =>
        {
            if (HasExited)
                Assert.Fail($"{_process.StartInfo.FileName} exited before {path} answered: {Log}");
            try
            {
                using var response = await client.GetAsync(path);
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException) { return false; }
            catch (TaskCanceledException) { return false; }
        }, () => $"{path} answers 2xx; log: {Log}", limit);
    }

    /// <summary>The first line of the log that <paramref name="match"/> accepts, waiting up to <paramref name="limit"/> for it.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan limit) =>
        Eventually.FindAsync(() => Task.FromResult(Log.Split('\n').FirstOrDefault(match)), () => $"{what}; log: {Log}", limit);

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        finally
        {
            _process.Dispose();
        }
    }
}
