using GeminiHooks.Verification;

namespace GeminiHooks.Cli.Signing;

/// <summary>Static webhooks: one Standard Webhooks <c>v1,</c> entry per secret (several during rotation).</summary>
internal sealed class StaticSigner(IReadOnlyList<byte[]> keys) : IDeliverySigner
{
    public string Sign(string webhookId, long timestamp, byte[] body) =>
        string.Join(' ', keys.Select(key => StandardWebhooks.SignV1(key, webhookId, timestamp, body)));
}
