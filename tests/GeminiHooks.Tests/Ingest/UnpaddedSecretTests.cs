using System.Globalization;
using System.Net;
using GeminiHooks.Tests.Support;

namespace GeminiHooks.Tests.Ingest;

/// <summary>
/// Secrets written without their base64 padding: the reference Standard Webhooks libraries accept them, and whether
/// Gemini pads its secrets is not documented, so the server must start with them and verify what those libraries sign.
/// </summary>
public class UnpaddedSecretTests
{
    [Theory]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS")]            // 31 characters: 23 bytes, would need one '='
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr")]         // 34 characters: 25 bytes, would need two
    [InlineData("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr")]
    public async Task A_server_configured_with_an_unpadded_secret_starts_and_accepts_deliveries_signed_by_npm_standardwebhooks(string secret)
    {
        using var data = new TempDirectory();
        using var receiver = new Receiver(data.Path, new Dictionary<string, string?> { ["GeminiHooks:Static:Secrets:0"] = secret });
        using var client = receiver.Start();
        var body = Receiver.Event();
        var ts = receiver.Now;

        var signature = await NodeSigner.SignStaticAsync(secret, "msg_unpadded", ts, body);
        using var response = await client.SendAsync(Receiver.Delivery("/webhooks/gemini", "msg_unpadded", ts.ToString(CultureInfo.InvariantCulture), signature, body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"accepted"}""", await response.Content.ReadAsStringAsync());
        // The project's own signer, keyed with the same unpadded secret, is accepted too; another secret is not.
        using var own = await client.SendAsync(receiver.SignedStatic("msg_unpadded_own", body, secret));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using var other = await client.SendAsync(receiver.SignedStatic("msg_other", body, Receiver.Secret));
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
    }
}
