using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GeminiHooks.Verification;
using Microsoft.IdentityModel.Tokens;
using NSec.Cryptography;

namespace GeminiHooks.Bench.Load;

/// <summary>
/// Throwaway keys for one bench run: a static secret, an RSA key for RS256 JWTs and three Ed25519 keys for v1a, with the
/// public halves as a JWKS the receiver fetches from loopback. Google's JWKS holds three Ed25519 keys and live v1a
/// entries name none, so the receiver has to find the signing key itself; the bench signs with the one listed last,
/// the worst place for a receiver that tries the keys in order. Nothing here is ever used outside the bench.
/// </summary>
static class KeyMaterial
{
    public const string RsaKid = "bench-rsa";
    public const string Ed25519Kid = "bench-ed25519";
    const int Ed25519Decoys = 2;
    public const string Audience = "geminihooks-bench";
    public const string Issuer = "https://bench.geminihooks.local";

    public static int Write(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "secret.txt"), StandardWebhooks.GenerateSecret());

        using var rsa = RSA.Create(2048);
        File.WriteAllText(Path.Combine(directory, "rsa.pem"), rsa.ExportPkcs8PrivateKeyPem());
        var p = rsa.ExportParameters(includePrivateParameters: false);

        using var ed = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        File.WriteAllBytes(Path.Combine(directory, "ed25519.seed"), ed.Export(KeyBlobFormat.RawPrivateKey));

        var keys = new JsonArray(
            new JsonObject { ["kty"] = "RSA", ["kid"] = RsaKid, ["alg"] = "RS256", ["use"] = "sig", ["n"] = B64(p.Modulus!), ["e"] = B64(p.Exponent!) });
        for (var i = 0; i < Ed25519Decoys; i++)
        {
            using var decoy = Key.Create(SignatureAlgorithm.Ed25519);
            keys.Add(Ed25519Jwk($"{Ed25519Kid}-decoy-{i}", decoy.PublicKey));
        }
        keys.Add(Ed25519Jwk(Ed25519Kid, ed.PublicKey));
        var jwks = new JsonObject { ["keys"] = keys };
        File.WriteAllText(Path.Combine(directory, "jwks.json"), jwks.ToJsonString());
        Console.WriteLine(directory);
        return 0;
    }

    public static string Secret(string directory) => File.ReadAllText(Path.Combine(directory, "secret.txt")).Trim();

    /// <summary>A fresh RSA instance per caller: signing threads do not share one.</summary>
    public static RsaSecurityKey Rsa(string directory)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Path.Combine(directory, "rsa.pem")));
        return new RsaSecurityKey(rsa) { KeyId = RsaKid };
    }

    public static Key Ed25519(string directory) =>
        Key.Import(SignatureAlgorithm.Ed25519, File.ReadAllBytes(Path.Combine(directory, "ed25519.seed")), KeyBlobFormat.RawPrivateKey);

    static JsonObject Ed25519Jwk(string kid, PublicKey key) =>
        new() { ["kty"] = "OKP", ["crv"] = "Ed25519", ["kid"] = kid, ["alg"] = "EdDSA", ["use"] = "sig", ["x"] = B64(key.Export(KeyBlobFormat.RawPublicKey)) };

    static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);
}
