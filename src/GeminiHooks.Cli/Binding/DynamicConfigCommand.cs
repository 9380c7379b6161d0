using System.CommandLine;
using System.Globalization;
using GeminiHooks.Binding;
using GeminiHooks.Cli.Common;

namespace GeminiHooks.Cli.Binding;

/// <summary>
/// <c>geminihooks dynamic-config</c>: mints the <c>webhook_config</c> to put in a Gemini request (batch, video,
/// interaction) so that the receiver accepts its deliveries as the operator's own.
/// </summary>
internal static class DynamicConfigCommand
{
    public const string KeyVariable = "GEMINIHOOKS_BINDING_KEY";

    public static Command Create(CliIo io)
    {
        var uris = new Option<string[]>("--uri")
        {
            Description = "Where Gemini delivers (your receiver's dynamic endpoint). Repeat for several.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var key = new Option<string?>("--key")
        {
            Description = $"A binding key (whsec_..., one of GeminiHooks:Dynamic:Binding:Keys). Default: the {KeyVariable} environment variable, which keeps it out of shell history.",
        };
        var ttl = new Option<TimeSpan>("--ttl")
        {
            Description = "How long the token stays valid: 3d (the default: a job's 48 hours plus Gemini's 24 hours of retries), 12h, 90m, 45s or d.hh:mm:ss. Cover the job's whole life plus the retries.",
            DefaultValueFactory = _ => DynamicWebhookConfig.DefaultTimeToLive,
            CustomParser = result => ParseDuration(result.Tokens.Count > 0 ? result.Tokens[0].Value : "3d") is { } parsed
                ? parsed
                : Fail(result, "--ttl must be a positive duration such as 30d, 12h, 90m or 45s"),
        };
        var metadata = new Option<string[]>("--metadata")
        {
            Description = "Extra user_metadata entry key=value, echoed back in every delivery. Repeat for several.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var metadataKey = new Option<string>("--metadata-key")
        {
            Description = "The user_metadata entry that carries the token (GeminiHooks:Dynamic:Binding:MetadataKey).",
            DefaultValueFactory = _ => DynamicWebhookConfig.DefaultMetadataKey,
        };
        var compact = new Option<bool>("--compact") { Description = "Print the JSON on one line." };
        var command = new Command("dynamic-config",
            "Print a webhook_config ({\"uris\":[...],\"user_metadata\":{...}}) carrying a fresh binding token, for the request that creates a batch, video or interaction.")
        {
            uris, key, ttl, metadata, metadataKey, compact,
        };
        command.SetAction(parse =>
        {
            var secret = parse.GetValue(key) ?? Environment.GetEnvironmentVariable(KeyVariable);
            if (string.IsNullOrWhiteSpace(secret))
                throw new CliException($"give the binding key with --key whsec_... or the {KeyVariable} environment variable (create one with `geminihooks keys secret`).");
            var extra = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(metadata) ?? [])
            {
                var equals = pair.IndexOf('=');
                if (equals <= 0)
                    throw new CliException($"--metadata '{pair}' must be key=value.");
                extra[pair[..equals]] = pair[(equals + 1)..];
            }
            DynamicWebhookConfig config;
            try
            {
                config = DynamicWebhookConfig.Create(parse.GetValue(uris)!, secret, parse.GetValue(ttl), extra, parse.GetValue(metadataKey)!);
            }
            catch (FormatException e) { throw new CliException($"--key: {e.Message}."); }
            catch (ArgumentException e) { throw new CliException(e.Message.Split(" (Parameter")[0] + "."); }
            io.Out.WriteLine(config.ToJson(indented: !parse.GetValue(compact)));
            return 0;
        });
        return command;
    }

    static TimeSpan Fail(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }

    static TimeSpan? ParseDuration(string text)
    {
        TimeSpan? value = null;
        if (text.Length > 1 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount < 100_000)
        {
            value = char.ToLowerInvariant(text[^1]) switch
            {
                'd' => TimeSpan.FromDays(amount),
                'h' => TimeSpan.FromHours(amount),
                'm' => TimeSpan.FromMinutes(amount),
                's' => TimeSpan.FromSeconds(amount),
                _ => null,
            };
        }
        if (value is null && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed))
            value = parsed;
        return value > TimeSpan.Zero ? value : null;
    }
}
