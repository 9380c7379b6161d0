using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using NSec.Cryptography;

namespace GeminiHooks.Cli.Signing;

/// <summary>JSON Web Keys (RFC 7517 / 8037): generation, loading and the public half for a JWKS.</summary>
internal static class Jwk
{
    static readonly string[] RsaPrivateMembers = ["d", "p", "q", "dp", "dq", "qi"];

    /// <summary>A new key pair as (private JWK, public JWK).</summary>
    public static (JsonObject Private, JsonObject Public) Generate(string alg, string kid)
    {
        JsonObject priv;
        switch (alg)
        {
            case "RS256":
            {
                using var rsa = RSA.Create(2048);
                var p = rsa.ExportParameters(includePrivateParameters: true);
                priv = new JsonObject
                {
                    ["kty"] = "RSA", ["kid"] = kid, ["alg"] = "RS256", ["use"] = "sig",
                    ["n"] = B64(p.Modulus!), ["e"] = B64(p.Exponent!), ["d"] = B64(p.D!),
                    ["p"] = B64(p.P!), ["q"] = B64(p.Q!), ["dp"] = B64(p.DP!), ["dq"] = B64(p.DQ!), ["qi"] = B64(p.InverseQ!),
                };
                break;
            }
            case "EdDSA":
            {
                // Exportable only so the seed can be written to the private JWK.
                using var key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
                priv = new JsonObject
                {
                    ["kty"] = "OKP", ["crv"] = "Ed25519", ["kid"] = kid, ["alg"] = "EdDSA", ["use"] = "sig",
                    ["x"] = B64(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
                    ["d"] = B64(key.Export(KeyBlobFormat.RawPrivateKey)),
                };
                break;
            }
            default:
                throw new CliException($"unknown algorithm '{alg}': use RS256 or EdDSA.");
        }
        return (priv, ToPublic(priv));
    }

    /// <summary>The JWK without its private members, fit for a JWKS.</summary>
    public static JsonObject ToPublic(JsonObject jwk)
    {
        var pub = (JsonObject)jwk.DeepClone();
        foreach (var member in RsaPrivateMembers)
            pub.Remove(member);
        return pub;
    }

    public static JsonObject ReadFile(string path)
    {
        if (!File.Exists(path))
            throw new CliException($"key file '{path}' not found: create one with `geminihooks keys generate --alg RS256 --kid my-key --out keys`.");
        return CliJson.ParseObject(File.ReadAllText(path), $"key file '{path}'");
    }

    /// <summary>Loads a private JWK for signing.</summary>
    public static SigningKey LoadPrivate(JsonObject jwk, string source)
    {
        var kty = (string?)jwk["kty"];
        var kid = (string?)jwk["kid"] ?? "";
        if (jwk["d"] is null)
            throw new CliException($"{source} is a public key; signing needs the private JWK (the *.private.jwk file).");
        switch (kty)
        {
            case "RSA":
            {
                var rsa = RSA.Create();
                try
                {
                    rsa.ImportParameters(new RSAParameters
                    {
                        Modulus = Member(jwk, "n", source), Exponent = Member(jwk, "e", source), D = Member(jwk, "d", source),
                        P = Member(jwk, "p", source), Q = Member(jwk, "q", source), DP = Member(jwk, "dp", source),
                        DQ = Member(jwk, "dq", source), InverseQ = Member(jwk, "qi", source),
                    });
                }
                catch (CryptographicException e)
                {
                    rsa.Dispose();
                    throw new CliException($"{source} is not a valid RSA private key: {e.Message}");
                }
                return SigningKey.FromRsa(kid, rsa);
            }
            case "OKP" when (string?)jwk["crv"] == "Ed25519":
            {
                var seed = Member(jwk, "d", source);
                if (seed.Length != 32)
                    throw new CliException($"{source}: an Ed25519 'd' must be a 32-byte seed.");
                var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
                return SigningKey.FromEd25519(kid, key);
            }
            default:
                throw new CliException($"{source}: unsupported key type '{kty}' (expected an RSA or an OKP/Ed25519 JWK).");
        }
    }

    static byte[] Member(JsonObject jwk, string name, string source)
    {
        var value = (string?)jwk[name] ?? throw new CliException($"{source}: the JWK has no '{name}' member.");
        try { return Base64Url.DecodeFromChars(value); }
        catch (FormatException) { throw new CliException($"{source}: the JWK member '{name}' is not base64url."); }
    }

    public static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);
}
