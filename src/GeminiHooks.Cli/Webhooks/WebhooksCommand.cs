using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Events;

namespace GeminiHooks.Cli.Webhooks;

/// <summary><c>geminihooks webhooks ...</c>: Gemini's WebhookService (or the emulator) from the command line.</summary>
internal static class WebhooksCommand
{
    sealed record Common(Option<Uri> BaseUrl, Option<string> ApiVersion, Option<string?> ApiKey, Option<bool> Json);

    public static Command Create(CliIo io)
    {
        var common = new Common(
            Recursive(UriOption.Create("--base-url", "API root (the emulator's http://127.0.0.1:<port> for local tests).", "https://generativelanguage.googleapis.com")),
            new Option<string>("--api-version")
            {
                Description = "API version path segment: v1beta (the API reference and python-genai) or v1 (@google/genai 3.1 and the docs' curl examples). Both serve the webhooks API.",
                HelpName = "v1beta|v1",
                DefaultValueFactory = _ => "v1beta",
                Recursive = true,
            },
            new Option<string?>("--api-key") { Description = "Gemini API key, sent as x-goog-api-key (default: env GEMINI_API_KEY).", Recursive = true },
            new Option<bool>("--json") { Description = "Print the API's JSON instead of a table.", Recursive = true });
        return new Command("webhooks", "Manage registered (static) webhooks through Gemini's WebhookService API.")
        {
            common.BaseUrl, common.ApiVersion, common.ApiKey, common.Json,
            CreateCmd(io, common), ListCmd(io, common), GetCmd(io, common), UpdateCmd(io, common),
            DeleteCmd(io, common), PingCmd(io, common), RotateCmd(io, common),
        };
    }

    static Command CreateCmd(CliIo io, Common common)
    {
        var uri = UriOption.Create("--uri", "Where Gemini delivers, e.g. https://hooks.example.com/webhooks/gemini.", required: true);
        var events = EventsOption(required: true);
        var name = new Option<string?>("--name") { Description = "A display name." };
        var secretOut = SecretOutOption();
        var command = new Command("create", "Register a webhook. Its signing secret is shown once: keep it (or use --secret-out).") { uri, events, name, secretOut };
        command.SetAction(async (parse, ct) =>
        {
            var body = new JsonObject
            {
                ["uri"] = parse.GetRequiredValue(uri).ToString(),
                ["subscribed_events"] = new JsonArray(parse.GetRequiredValue(events).Select(e => (JsonNode?)e).ToArray()),
            };
            if (parse.GetValue(name) is { } n) body["name"] = n;
            if (parse.GetValue(secretOut) is { } target)
                PrivateFile.EnsureAbsent(target.FullName);
            using var http = CreateHttp(parse, common);
            var created = await Client(parse, common, http).CreateAsync(body, ct);
            var secret = created.NewSigningSecret;
            var file = parse.GetValue(secretOut);
            if (file is not null && secret is not null)
            {
                PrivateFile.Write(file.FullName, secret);
                created = created with { NewSigningSecret = null };
            }
            if (parse.GetValue(common.Json))
                await io.Out.WriteLineAsync(JsonSerializer.Serialize(created, CliJson.Pretty));
            else
            {
                await io.Out.WriteLineAsync(Details(created));
                await io.Out.WriteLineAsync(SecretLine(secret, file));
            }
            return 0;
        });
        return command;
    }

    static Command ListCmd(CliIo io, Common common)
    {
        var pageSize = new Option<int?>("--page-size") { Description = "Webhooks per page (the server's default when omitted)." };
        var pageToken = new Option<string?>("--page-token") { Description = "next_page_token from a previous list." };
        var all = new Option<bool>("--all") { Description = "Follow next_page_token until the last page." };
        var command = new Command("list", "List registered webhooks.") { pageSize, pageToken, all };
        command.SetAction(async (parse, ct) =>
        {
            using var http = CreateHttp(parse, common);
            var client = Client(parse, common, http);
            var page = await client.ListAsync(parse.GetValue(pageSize), parse.GetValue(pageToken), ct);
            var webhooks = new List<WebhookResource>(page.Webhooks ?? []);
            while (parse.GetValue(all) && !string.IsNullOrEmpty(page.NextPageToken))
            {
                page = await client.ListAsync(parse.GetValue(pageSize), page.NextPageToken, ct);
                webhooks.AddRange(page.Webhooks ?? []);
            }
            var next = parse.GetValue(all) ? null : page.NextPageToken;
            if (parse.GetValue(common.Json))
                await io.Out.WriteLineAsync(JsonSerializer.Serialize(new WebhookList(webhooks, string.IsNullOrEmpty(next) ? null : next), CliJson.Pretty));
            else
            {
                await io.Out.WriteLineAsync(Table(webhooks));
                if (!string.IsNullOrEmpty(next))
                    await io.Out.WriteLineAsync($"more: --page-token {next}  (or --all)");
            }
            return 0;
        });
        return command;
    }

    static Command GetCmd(CliIo io, Common common)
    {
        var id = IdArgument();
        var command = new Command("get", "Show one webhook, with its signing secrets (truncated) and their expiry.") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var http = CreateHttp(parse, common);
            var webhook = await Client(parse, common, http).GetAsync(parse.GetRequiredValue(id), ct);
            await io.Out.WriteLineAsync(parse.GetValue(common.Json) ? JsonSerializer.Serialize(webhook, CliJson.Pretty) : Details(webhook));
            return 0;
        });
        return command;
    }

    static Command UpdateCmd(CliIo io, Common common)
    {
        var id = IdArgument();
        var uri = UriOption.Create("--uri", "New delivery URI.");
        var events = EventsOption(required: false);
        var name = new Option<string?>("--name") { Description = "New display name." };
        var state = new Option<string?>("--state") { Description = "enabled or disabled (enabling also re-enables a webhook disabled after failed deliveries).", HelpName = "enabled|disabled" };
        state.AcceptOnlyFromAmong(WebhookStates.Enabled, WebhookStates.Disabled, "ENABLED", "DISABLED");
        var command = new Command("update", "Change a webhook's URI, events, name or state; only the options given are changed (update_mask).") { id, uri, events, name, state };
        command.SetAction(async (parse, ct) =>
        {
            var body = new JsonObject();
            var mask = new List<string>();
            if (parse.GetValue(uri) is { } u) { body["uri"] = u.ToString(); mask.Add("uri"); }
            if (parse.GetValue(events) is { Length: > 0 } e) { body["subscribed_events"] = new JsonArray(e.Select(x => (JsonNode?)x).ToArray()); mask.Add("subscribed_events"); }
            if (parse.GetValue(name) is { } n) { body["name"] = n; mask.Add("name"); }
            if (parse.GetValue(state) is { } s) { body["state"] = Lowercase(io, "--state", s); mask.Add("state"); }
            if (mask.Count == 0)
                throw new CliException("nothing to update: give at least one of --uri, --event, --name, --state.");
            using var http = CreateHttp(parse, common);
            var updated = await Client(parse, common, http).UpdateAsync(parse.GetRequiredValue(id), body, mask, ct);
            await io.Out.WriteLineAsync(parse.GetValue(common.Json) ? JsonSerializer.Serialize(updated, CliJson.Pretty) : Details(updated));
            return 0;
        });
        return command;
    }

    static Command DeleteCmd(CliIo io, Common common)
    {
        var id = IdArgument();
        var command = new Command("delete", "Delete a webhook; Gemini stops delivering to it.") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var http = CreateHttp(parse, common);
            var webhookId = parse.GetRequiredValue(id);
            await Client(parse, common, http).DeleteAsync(webhookId, ct);
            await io.Out.WriteLineAsync(parse.GetValue(common.Json) ? "{}" : $"deleted {webhookId}");
            return 0;
        });
        return command;
    }

    static Command PingCmd(CliIo io, Common common)
    {
        var id = IdArgument();
        var command = new Command("ping", "Ask Gemini to send a test event to the webhook's URI.") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var http = CreateHttp(parse, common);
            var webhookId = parse.GetRequiredValue(id);
            await Client(parse, common, http).PingAsync(webhookId, ct);
            await io.Out.WriteLineAsync(parse.GetValue(common.Json) ? "{}" : $"ping sent to {webhookId}");
            return 0;
        });
        return command;
    }

    static Command RotateCmd(CliIo io, Common common)
    {
        var id = IdArgument();
        var revocation = new Option<string>("--revocation") { Description = "What happens to the previous secrets: after-24h (they stay valid for 24 hours; Gemini is expected, not documented, to sign with old and new meanwhile, the Standard Webhooks way) or immediately. Then `webhooks ping` to prove the receiver accepts the new secret.", DefaultValueFactory = _ => "after-24h" };
        // The API's own enum names are accepted too, also in the uppercase of the docs' samples; help shows the short forms only.
        revocation.AcceptOnlyFromAmong("after-24h", "immediately", RevocationBehaviors.After24h, RevocationBehaviors.Immediately,
            RevocationBehaviors.After24h.ToUpperInvariant(), RevocationBehaviors.Immediately.ToUpperInvariant());
        revocation.HelpName = "after-24h|immediately";
        var secretOut = SecretOutOption();
        var command = new Command("rotate", "Generate a new signing secret (shown once). Add it to the receiver's Static:Secrets beside the old one, then `webhooks ping` to prove it.") { id, revocation, secretOut };
        command.SetAction(async (parse, ct) =>
        {
            var behavior = Lowercase(io, "--revocation", parse.GetRequiredValue(revocation)) switch
            {
                "immediately" or RevocationBehaviors.Immediately => RevocationBehaviors.Immediately,
                _ => RevocationBehaviors.After24h,
            };
            if (parse.GetValue(secretOut) is { } target)
                PrivateFile.EnsureAbsent(target.FullName);
            using var http = CreateHttp(parse, common);
            var result = await Client(parse, common, http).RotateAsync(parse.GetRequiredValue(id), behavior, ct);
            var file = parse.GetValue(secretOut);
            if (file is not null && result.Secret is not null)
            {
                PrivateFile.Write(file.FullName, result.Secret);
                result = result with { Secret = null };
            }
            if (parse.GetValue(common.Json))
                await io.Out.WriteLineAsync(JsonSerializer.Serialize(result, CliJson.Pretty));
            else
                await io.Out.WriteLineAsync(SecretLine(result.Secret ?? (file is null ? null : ""), file));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The SDKs send enum values in lowercase; the docs' samples write some in uppercase, which Gemini may or may not
    /// accept. Uppercase is taken, with a warning, and sent in lowercase.
    /// </summary>
    static string Lowercase(CliIo io, string option, string value)
    {
        var lower = value.ToLowerInvariant();
        if (lower != value)
            io.Err.WriteLine($"warning: {option} {value}: sending '{lower}', the lowercase form the official SDKs send.");
        return lower;
    }

    static Option<Uri> Recursive(Option<Uri> option)
    {
        option.Recursive = true;
        return option;
    }

    static Argument<string> IdArgument() => new("id") { Description = "The webhook's id (see `webhooks list`)." };

    static Option<string[]> EventsOption(bool required) => new("--event", "--events", "-e")
    {
        Description = $"Event type to subscribe to (repeat, or comma-separate): {SampleEvents.CatalogText}.",
        Required = required,
        Arity = required ? ArgumentArity.OneOrMore : ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result => result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
    };

    static Option<FileInfo?> SecretOutOption() => new("--secret-out")
    {
        Description = "Write the new secret to this file (owner-only) instead of printing it.",
    };

    static HttpClient CreateHttp(ParseResult parse, Common common)
    {
        var key = parse.GetValue(common.ApiKey) ?? Environment.GetEnvironmentVariable("GEMINI_API_KEY");
        if (string.IsNullOrWhiteSpace(key))
            throw new CliException("no API key: pass --api-key or set GEMINI_API_KEY (any non-empty value works against `geminihooks emulate`).");
        var http = new HttpClient { BaseAddress = parse.GetRequiredValue(common.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("x-goog-api-key", key);
        return http;
    }

    static ManagementClient Client(ParseResult parse, Common common, HttpClient http) =>
        new(http, parse.GetRequiredValue(common.ApiVersion).Trim('/'));

    static string SecretLine(string? secret, FileInfo? file) => (secret, file) switch
    {
        (null, _) => "no signing secret in the answer",
        (_, not null) => $"signing secret written to {file.FullName}",
        _ => $"signing secret (shown once, store it now): {secret}",
    };

    static string Details(WebhookResource w)
    {
        var lines = new List<string> { "id:      " + OrDash(w.Id) };
        if (w.Name is not null) lines.Add("name:    " + w.Name);
        lines.Add("uri:     " + OrDash(w.Uri));
        lines.Add("events:  " + OrDash(string.Join(", ", w.SubscribedEvents ?? [])));
        lines.Add("state:   " + OrDash(w.State));
        foreach (var s in w.SigningSecrets ?? [])
            lines.Add("secret:  " + s.TruncatedSecret + (s.ExpireTime is null ? "" : " (expires " + s.ExpireTime + ")"));
        // The live API has been seen to omit create_time/update_time: print "-" rather than an empty field.
        lines.Add("created: " + OrDash(w.CreateTime));
        lines.Add("updated: " + OrDash(w.UpdateTime));
        return string.Join(Environment.NewLine, lines);
    }

    static string OrDash(string? value) => string.IsNullOrEmpty(value) ? "-" : value;

    static string Table(List<WebhookResource> webhooks)
    {
        if (webhooks.Count == 0)
            return "no webhooks";
        string[] header = ["ID", "NAME", "STATE", "EVENTS", "URI"];
        var rows = webhooks.Select(w => new[] { OrDash(w.Id), OrDash(w.Name), OrDash(w.State), OrDash(string.Join(",", w.SubscribedEvents ?? [])), OrDash(w.Uri) }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
            text.AppendLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
        return text.ToString().TrimEnd();
    }
}
