using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Events;
using GeminiHooks.Cli.Signing;
using GeminiHooks.Verification;

namespace GeminiHooks.Cli.Send;

/// <summary><c>geminihooks send</c>: one or many signed deliveries to a receiver.</summary>
internal static class SendCommand
{
    public static Command Create(CliIo io)
    {
        var url = UriOption.Create("--url", "Receiver endpoint, e.g. http://localhost:5000/webhooks/gemini.", required: true);
        var type = new Option<string>("--type") { Description = $"Event type for a sample envelope: {SampleEvents.CatalogText}. Any other name is sent too (a retired or future type, to test a receiver's tolerance).", DefaultValueFactory = _ => "batch.succeeded" };
        var data = new Option<string?>("--data") { Description = "JSON object to use as the envelope's data instead of the sample." };
        var body = new Option<string?>("--body") { Description = "Send this exact body instead of an envelope." };
        var bodyFile = new Option<FileInfo?>("--body-file") { Description = "Send the contents of this file as the body." };
        var secret = new Option<string[]>("--secret") { Description = "Static webhook: sign with this whsec_ secret (Standard Webhooks v1). Repeat for several entries.", Arity = ArgumentArity.ZeroOrMore };
        var key = new Option<FileInfo?>("--key") { Description = "Dynamic webhook: sign with this private JWK file (from `keys generate`)." };
        var format = new Option<string?>("--format") { Description = "Dynamic signature format: v1a (Ed25519 key; what Gemini sends) or jwt (RSA key, RS256 token as Gemini's docs describe). Default: v1a for an Ed25519 key, jwt for an RSA key." };
        format.AcceptOnlyFromAmong("jwt", "v1a");
        var audience = new Option<string?>("--audience") { Description = "JWT aud claim (default: the --url)." };
        var issuer = new Option<string>("--issuer") { Description = "JWT iss claim.", DefaultValueFactory = _ => "https://generativelanguage.googleapis.com" };
        var count = new Option<int>("--count", "-n") { Description = "Number of deliveries.", DefaultValueFactory = _ => 1 };
        var concurrency = new Option<int>("--concurrency", "-c") { Description = "Deliveries in flight at once.", DefaultValueFactory = _ => 1 };
        var duplicate = new Option<bool>("--duplicate") { Description = "Send every delivery twice with the same webhook-id (as a Gemini retry would); the receiver should answer duplicate." };
        var skew = new Option<int>("--timestamp-skew") { Description = "Shift webhook-timestamp by this many seconds (e.g. -600 to test the 5-minute tolerance)." };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Per-request timeout.", DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print each response status and body." };

        var command = new Command("send", "Build a Gemini delivery (any event type), sign it as a static or dynamic webhook and POST it to a receiver.")
        {
            url, type, data, body, bodyFile, secret, key, format, audience, issuer, count, concurrency, duplicate, skew, timeout, json, verbose,
        };
        var tls = new TlsTrustOptions();
        tls.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var target = parse.GetRequiredValue(url);
            var n = parse.GetValue(count);
            var parallel = parse.GetValue(concurrency);
            if (n < 1 || parallel < 1)
                throw new CliException("--count and --concurrency must be at least 1.");

            var bodyFactory = BodyFactory(parse.GetValue(type)!, parse.GetValue(data), parse.GetValue(body), parse.GetValue(bodyFile));
            using var signing = CreateSigner(parse.GetValue(secret), parse.GetValue(key), parse.GetValue(format),
                parse.GetValue(audience) ?? target.ToString(), parse.GetValue(issuer)!);

            var options = new LoadOptions(target, n, parallel, parse.GetValue(duplicate), parse.GetValue(skew), parse.GetValue(timeout), parse.GetValue(verbose),
                handler => tls.Apply(parse, handler));
            var summary = await LoadRunner.RunAsync(options, bodyFactory, signing.Signer, io, TimeProvider.System, ct);
            if (parse.GetValue(json))
                await io.Out.WriteLineAsync(summary.ToJson());
            else
                await io.Out.WriteLineAsync(summary.ToText());
            return summary.Failed == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>The body of each delivery: a fixed custom body, or a fresh envelope (its own timestamp) per delivery.</summary>
    static Func<DateTimeOffset, byte[]> BodyFactory(string type, string? dataJson, string? body, FileInfo? bodyFile)
    {
        if (body is not null && bodyFile is not null)
            throw new CliException("use either --body or --body-file, not both.");
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            return _ => bytes;
        }
        if (bodyFile is not null)
        {
            if (!bodyFile.Exists)
                throw new CliException($"--body-file '{bodyFile.FullName}' not found.");
            var bytes = File.ReadAllBytes(bodyFile.FullName);
            return _ => bytes;
        }
        var data = dataJson is null ? SampleEvents.Data(type) : CliJson.ParseObject(dataJson, "--data");
        return time => Encoding.UTF8.GetBytes(SampleEvents.Envelope(type, (JsonObject)data.DeepClone(), time).ToJsonString());
    }

    static SignerHandle CreateSigner(string[]? secrets, FileInfo? keyFile, string? format, string audience, string issuer)
    {
        var hasSecret = secrets is { Length: > 0 };
        if (hasSecret == (keyFile is not null))
            throw new CliException("choose how to sign: --secret whsec_... (static webhook) or --key private.jwk (dynamic webhook). Create either with `geminihooks keys`.");
        if (hasSecret)
        {
            if (format is not null)
                throw new CliException("--format applies to --key (dynamic) signing only; static webhooks are always v1.");
            var keys = new List<byte[]>();
            foreach (var s in secrets!)
            {
                try { keys.Add(StandardWebhooks.DecodeSecret(s)); }
                catch (FormatException e) { throw new CliException($"--secret: {e.Message}."); }
            }
            return new SignerHandle(new StaticSigner(keys), null);
        }

        var key = Jwk.LoadPrivate(Jwk.ReadFile(keyFile!.FullName), $"--key '{keyFile.Name}'");
        format ??= key.Rsa is not null ? "jwt" : "v1a";
        if (format == "jwt")
        {
            if (key.RsaSecurityKey is not { } rsa)
            {
                key.Dispose();
                throw new CliException("--format jwt needs an RSA key (RS256); this key is Ed25519: use --format v1a.");
            }
            return new SignerHandle(new JwtSigner(rsa, issuer, audience), key);
        }
        if (key.Ed25519 is null)
        {
            key.Dispose();
            throw new CliException("--format v1a needs an Ed25519 key (keys generate --alg EdDSA); this key is RSA: use --format jwt.");
        }
        return new SignerHandle(new V1aSigner(key.Ed25519), key);
    }

    sealed class SignerHandle(IDeliverySigner signer, IDisposable? owned) : IDisposable
    {
        public IDeliverySigner Signer { get; } = signer;
        public void Dispose() => owned?.Dispose();
    }
}
