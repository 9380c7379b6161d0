namespace GeminiHooks.Cli.Webhooks;

/// <summary>Gemini's Webhook resource (snake_case on the wire), shared by the client and the emulator.</summary>
internal sealed record WebhookResource
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? Uri { get; init; }
    public IReadOnlyList<string>? SubscribedEvents { get; init; }
    public string? State { get; init; }
    /// <summary>Only in the answer to create: the one time the full secret is shown.</summary>
    public string? NewSigningSecret { get; init; }
    public IReadOnlyList<SigningSecretInfo>? SigningSecrets { get; init; }
    public string? CreateTime { get; init; }
    public string? UpdateTime { get; init; }
}

internal sealed record SigningSecretInfo(string? ExpireTime, string? TruncatedSecret);

internal sealed record WebhookList(IReadOnlyList<WebhookResource>? Webhooks, string? NextPageToken);

internal sealed record RotateResult(string? Secret);

internal static class WebhookStates
{
    public const string Enabled = "enabled";
    public const string Disabled = "disabled";
    public const string DisabledDueToFailedDeliveries = "disabled_due_to_failed_deliveries";
}

internal static class RevocationBehaviors
{
    public const string After24h = "revoke_previous_secrets_after_h24";
    public const string Immediately = "revoke_previous_secrets_immediately";
}
