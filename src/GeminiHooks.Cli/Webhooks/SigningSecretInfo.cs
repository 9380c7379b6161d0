namespace GeminiHooks.Cli.Webhooks;

internal sealed record SigningSecretInfo(string? ExpireTime, string? TruncatedSecret);
