namespace GeminiHooks.Cli.Webhooks;

internal sealed record WebhookList(IReadOnlyList<WebhookResource>? Webhooks, string? NextPageToken);
