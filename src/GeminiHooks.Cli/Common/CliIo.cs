namespace GeminiHooks.Cli.Common;

/// <summary>The output streams of one invocation; synchronized because load and emulator paths write from several threads.</summary>
internal sealed class CliIo(TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = TextWriter.Synchronized(output);
    public TextWriter Err { get; } = TextWriter.Synchronized(error);
}
