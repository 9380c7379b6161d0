using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using NSec.Cryptography;

namespace GeminiHooks.Cli.Signing;

/// <summary>A private signing key loaded from a JWK: RSA (for RS256 JWTs) or Ed25519 (for v1a).</summary>
internal sealed class SigningKey : IDisposable
{
    SigningKey(string kid, RSA? rsa, Key? ed25519)
    {
        Kid = kid;
        Rsa = rsa;
        Ed25519 = ed25519;
    }

    public string Kid { get; }
    public RSA? Rsa { get; }
    public Key? Ed25519 { get; }

    public RsaSecurityKey? RsaSecurityKey => Rsa is null ? null : new RsaSecurityKey(Rsa) { KeyId = Kid };

    public static SigningKey FromRsa(string kid, RSA rsa) => new(kid, rsa, null);
    public static SigningKey FromEd25519(string kid, Key key) => new(kid, null, key);

    public void Dispose()
    {
        Rsa?.Dispose();
        Ed25519?.Dispose();
    }
}
