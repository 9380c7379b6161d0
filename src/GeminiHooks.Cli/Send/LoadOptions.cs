namespace GeminiHooks.Cli.Send;

internal sealed record LoadOptions(Uri Url, int Count, int Concurrency, bool Duplicate, int TimestampSkewSeconds, TimeSpan Timeout, bool Verbose,
    Action<SocketsHttpHandler>? ConfigureHandler = null);
