namespace GeminiHooks.Cli.Common;

/// <summary>A user-facing error: printed as one line on stderr, exit code 1, no stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
