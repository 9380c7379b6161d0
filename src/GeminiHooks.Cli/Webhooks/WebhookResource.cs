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
