using System.CommandLine;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Signing;
using GeminiHooks.Verification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Cli.Keys;

/// <summary><c>geminihooks keys</c>: secrets for static webhooks, JWK pairs and a local JWKS for dynamic ones.</summary>
internal static class KeysCommand
{
    public static Command Create(CliIo io) => new("keys", "Generate a static-webhook secret or a JWK key pair, and serve a JWKS locally.")
    {
        SecretCommand(io), GenerateCommand(io), ServeCommand(io),
    };

    static Command SecretCommand(CliIo io)
    {
        var command = new Command("secret", "Print a new random whsec_ signing secret (32 bytes) for a static webhook receiver.");
        command.SetAction(_ => io.Out.WriteLine(StandardWebhooks.GenerateSecret()));
        return command;
    }

    static Command GenerateCommand(CliIo io)
    {
        var alg = new Option<string>("--alg") { Description = "EdDSA (Ed25519, for v1a deliveries, what Gemini sends) or RS256 (RSA 2048, for JWT deliveries).", DefaultValueFactory = _ => "EdDSA" };
        alg.AcceptOnlyFromAmong("RS256", "EdDSA");
        var kid = new Option<string>("--kid") { Description = "Key id, written as the JWK's kid (and the JWT header's).", Required = true };
        var outDir = new Option<DirectoryInfo>("--out", "-o") { Description = "Directory for <kid>.private.jwk and <kid>.public.jwk.", DefaultValueFactory = _ => new DirectoryInfo(".") };
        var command = new Command("generate", "Write a new key pair as <kid>.private.jwk (keep secret) and <kid>.public.jwk (publish in a JWKS).")
        {
            alg, kid, outDir,
        };
        command.SetAction(parse =>
        {
            var id = parse.GetRequiredValue(kid);
            if (id.Length == 0 || id.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
                throw new CliException("--kid must be non-empty and usable as a file name.");
            var dir = parse.GetRequiredValue(outDir);
            dir.Create();
            var (priv, pub) = Jwk.Generate(parse.GetRequiredValue(alg), id);
            var privPath = Path.Combine(dir.FullName, id + ".private.jwk");
            var pubPath = Path.Combine(dir.FullName, id + ".public.jwk");
            PrivateFile.EnsureAbsent(pubPath);
            PrivateFile.Write(privPath, priv.ToJsonString(CliJson.Pretty));
            File.WriteAllText(pubPath, pub.ToJsonString(CliJson.Pretty));
            io.Out.WriteLine($"private key: {privPath}");
            io.Out.WriteLine($"public key:  {pubPath}");
        });
        return command;
    }

    static Command ServeCommand(CliIo io)
    {
        var port = new Option<int>("--port", "-p") { Description = "Port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 8788 };
        var keys = new Option<FileInfo[]>("--key", "-k") { Description = "JWK files to publish (repeat). Private members are stripped.", Required = true, Arity = ArgumentArity.OneOrMore };
        var command = new Command("serve", "Serve {\"keys\":[...]} at http://127.0.0.1:<port>/.well-known/jwks.json until Ctrl+C, for a receiver's Dynamic:JwksUri.")
        {
            port, keys,
        };
        command.SetAction(async (parse, ct) =>
        {
            var set = new JsonArray();
            foreach (var file in parse.GetRequiredValue(keys))
                set.Add(Jwk.ToPublic(Jwk.ReadFile(file.FullName)));
            var document = new JsonObject { ["keys"] = set }.ToJsonString();
            var (app, address) = await LoopbackHost.StartAsync(parse.GetValue(port), _ => { }, app =>
                app.MapGet("/.well-known/jwks.json", (HttpContext context) =>
                {
                    context.Response.Headers.CacheControl = "public, max-age=300";
                    return Results.Text(document, "application/json");
                }), ct);
            await io.Out.WriteLineAsync($"Serving {set.Count} key(s) at {new Uri(address, "/.well-known/jwks.json")} (Ctrl+C to stop)");
            await LoopbackHost.RunUntilCancelledAsync(app, ct);
            return 0;
        });
        return command;
    }
}
