using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Signing;

namespace GeminiHooks.Cli.Emulator;

/// <summary>The emulator's own dynamic-webhook keys (RSA for JWTs, Ed25519 for v1a), fresh on every start.</summary>
internal sealed class EmulatorKeys : IDisposable
{
    public EmulatorKeys()
    {
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var (rsaPrivate, rsaPublic) = Jwk.Generate("RS256", "emulator-rs256-" + suffix);
        var (edPrivate, edPublic) = Jwk.Generate("EdDSA", "emulator-ed25519-" + suffix);
        Rsa = Jwk.LoadPrivate(rsaPrivate, "emulator RSA key");
        Ed25519 = Jwk.LoadPrivate(edPrivate, "emulator Ed25519 key");
        Jwks = new JsonObject { ["keys"] = new JsonArray(rsaPublic, edPublic) }.ToJsonString();
    }

    public SigningKey Rsa { get; }
    public SigningKey Ed25519 { get; }

    /// <summary>The JWKS document served at <c>/.well-known/jwks.json</c>.</summary>
    public string Jwks { get; }

    public void Dispose()
    {
        Rsa.Dispose();
        Ed25519.Dispose();
    }
}
