using GeminiHooks.Verification;

namespace GeminiHooks.Cli.Signing;

/// <summary>Dynamic webhooks, Standard Webhooks asymmetric scheme: <c>v1a,&lt;base64 Ed25519 signature&gt;</c>.</summary>
internal sealed class V1aSigner(NSec.Cryptography.Key key) : IDeliverySigner
{
    public string Sign(string webhookId, long timestamp, byte[] body) => StandardWebhooks.SignV1a(key, webhookId, timestamp, body);
}
