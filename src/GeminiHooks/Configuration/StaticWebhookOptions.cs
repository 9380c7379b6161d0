namespace GeminiHooks.Configuration;

public sealed class StaticWebhookOptions
{
    public bool Enabled { get; set; } = true;
    public string Path { get; set; } = "/webhooks/gemini";

    /// <summary>Signing secrets (<c>whsec_&lt;base64&gt;</c>, prefix optional); any one may match.</summary>
    public List<string> Secrets { get; set; } = [];
}
