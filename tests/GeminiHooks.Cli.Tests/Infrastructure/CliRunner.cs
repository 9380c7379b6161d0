
namespace GeminiHooks.Cli.Tests.Infrastructure;

/// <summary>Runs the CLI in-process through its entry point, capturing both streams.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Err}";
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new LockedStringWriter();
        var error = new LockedStringWriter();
        var exit = await Program.RunAsync(args, output, error, timeout.Token);
        return new Result(exit, output.ToString(), error.ToString());
    }

    /// <summary>Starts a long-running command (serve, emulate); cancel the token to stop it.</summary>
    public static (Task<int> Run, LockedStringWriter Out, LockedStringWriter Err) Start(CancellationToken cancellationToken, params string[] args)
    {
        var output = new LockedStringWriter();
        var error = new LockedStringWriter();
        return (Task.Run(() => Program.RunAsync(args, output, error, cancellationToken)), output, error);
    }
}

/// <summary>A StringWriter that can be read while another thread writes (long-running commands).</summary>
internal sealed class LockedStringWriter : StringWriter
{
    readonly Lock _lock = new();

    public override void Write(char value) { lock (_lock) base.Write(value); }
    public override void Write(string? value) { lock (_lock) base.Write(value); }
    public override void Write(char[] buffer, int index, int count) { lock (_lock) base.Write(buffer, index, count); }
    public override string ToString() { lock (_lock) return base.ToString(); }

    /// <summary>Waits until the text contains <paramref name="marker"/>; answers the line that holds it.</summary>
    public async Task<string> WaitForLineAsync(string marker, TimeSpan limit)
    {
        var line = await Eventually.FindAsync(() => Task.FromResult(ToString().Split('\n').FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal))),
            () => $"'{marker}' appears; output so far:\n{this}", limit);
        return line.Trim();
    }
}
