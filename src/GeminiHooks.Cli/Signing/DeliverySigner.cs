namespace GeminiHooks.Cli.Signing;

/// <summary>Produces the <c>webhook-signature</c> header value for one delivery attempt.</summary>
internal interface IDeliverySigner
{
    string Sign(string webhookId, long timestamp, byte[] body);
}
