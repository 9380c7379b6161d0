namespace GeminiHooks.Cli.Webhooks;

internal sealed record RotateResult(string? Secret);
