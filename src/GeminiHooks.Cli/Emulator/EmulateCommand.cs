using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Events;

namespace GeminiHooks.Cli.Emulator;

/// <summary><c>geminihooks emulate</c> (run the emulator) and <c>emulate trigger</c> (fire an event at it).</summary>
internal static class EmulateCommand
{
    public static Command Create(CliIo io)
    {
        var port = new Option<int>("--port", "-p") { Description = "Port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 8787 };
        var apiKey = new Option<string?>("--api-key") { Description = "Accept only this x-goog-api-key (default: any non-empty key)." };
        var schedule = new Option<string>("--retry-schedule")
        {
            Description = "How failed deliveries are retried. gemini: Gemini's documented exponential backoff for 24 hours " +
                "(the delays are an assumption: 1 min doubling up to 2 h, a last attempt at 24 h). fast: for local work, 8 attempts, 5 s doubling (about 10.6 min).",
            DefaultValueFactory = _ => RetrySchedule.Fast.Name,
        };
        schedule.AcceptOnlyFromAmong([.. RetrySchedule.Presets.Select(p => p.Name)]);
        var baseDelay = new Option<TimeSpan?>("--retry-base-delay") { Description = "Override the schedule's first retry delay (each further retry doubles it)." };
        var maxDelay = new Option<TimeSpan?>("--retry-max-delay") { Description = "Override the schedule's cap on the retry delay." };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Override the schedule's attempts per delivery." };
        var timeout = new Option<TimeSpan>("--delivery-timeout") { Description = "How long a receiver may take to answer before the attempt counts as failed.", DefaultValueFactory = _ => TimeSpan.FromSeconds(5) };
        var disableAfter = new Option<int>("--disable-after")
        {
            Description = "Assumption (no Gemini source says when): after this many deliveries in a row fail every attempt, the webhook " +
                "becomes disabled_due_to_failed_deliveries. 0 never disables.",
            DefaultValueFactory = _ => 1,
        };
        var pingType = new Option<string>("--ping-type") { Description = "Assumption (Gemini does not document a ping's body): the type of the event :ping delivers.", DefaultValueFactory = _ => "webhook.ping" };
        var pingData = new Option<string?>("--ping-data") { Description = "Assumption, as --ping-type: the data object of the ping event (default {\"webhook_id\": <id>})." };
        var allowUnlisted = new Option<bool>("--allow-unlisted-events")
        {
            Description = $"Let webhooks subscribe to any event name, not only the subscribable ones ({SampleEvents.CatalogText}), the only ones in the SDKs' enums.",
        };
        var issuer = new Option<string>("--issuer") { Description = "iss of the JWTs of dynamic deliveries.", DefaultValueFactory = _ => "https://generativelanguage.googleapis.com" };

        var command = new Command("emulate",
            "Run a local stand-in for Gemini on 127.0.0.1: the webhooks management API under /v1 and /v1beta (point an SDK's base URL at it), " +
            "a JWKS at /.well-known/jwks.json, and POST /emulator/trigger to deliver events, signed as Gemini signs and retried per --retry-schedule. " +
            "Behaviours no Gemini source describes (--disable-after, --ping-type/--ping-data, the retry delays) are assumptions. Ctrl+C stops it.")
        {
            port, apiKey, schedule, baseDelay, maxDelay, maxAttempts, timeout, disableAfter, pingType, pingData, allowUnlisted, issuer, TriggerCommand(io),
        };
        command.SetAction(async (parse, ct) =>
        {
            var preset = RetrySchedule.Presets.Single(p => p.Name == parse.GetValue(schedule));
            var retry = preset with
            {
                BaseDelay = parse.GetValue(baseDelay) ?? preset.BaseDelay,
                MaxDelay = parse.GetValue(maxDelay) ?? preset.MaxDelay,
                MaxAttempts = parse.GetValue(maxAttempts) ?? preset.MaxAttempts,
            };
            if (retry.MaxAttempts < 1)
                throw new CliException("--max-attempts must be at least 1.");
            if (retry.BaseDelay <= TimeSpan.Zero || retry.MaxDelay < retry.BaseDelay)
                throw new CliException("--retry-base-delay must be positive and --retry-max-delay at least as long.");
            if (parse.GetValue(disableAfter) < 0)
                throw new CliException("--disable-after must be 0 (never) or more.");
            var options = new EmulatorOptions
            {
                Port = parse.GetValue(port),
                ApiKey = parse.GetValue(apiKey),
                Retry = retry,
                DeliveryTimeout = parse.GetValue(timeout),
                DisableAfterFailedDeliveries = parse.GetValue(disableAfter),
                PingType = parse.GetValue(pingType)!,
                PingData = parse.GetValue(pingData) is { } pd ? CliJson.ParseObject(pd, "--ping-data") : null,
                AllowUnlistedEventTypes = parse.GetValue(allowUnlisted),
                Issuer = parse.GetValue(issuer)!,
            };
            await using var host = await EmulatorHost.StartAsync(options, io.Err, ct);
            var root = host.Address.ToString().TrimEnd('/');
            await io.Out.WriteLineAsync($"Gemini emulator listening on {root}");
            await io.Out.WriteLineAsync($"  management API: {root}/v1/webhooks and {root}/v1beta/webhooks   (any non-empty x-goog-api-key{(options.ApiKey is null ? "" : " = --api-key")})");
            await io.Out.WriteLineAsync($"  JWKS:           {root}/.well-known/jwks.json");
            await io.Out.WriteLineAsync($"  fire an event:  geminihooks emulate trigger --emulator {root} --type batch.succeeded");
            await io.Out.WriteLineAsync($"  retries:        {retry.Describe()}");
            await io.Out.WriteLineAsync($"  assumptions:    disable after {(options.DisableAfterFailedDeliveries == 0 ? "never" : options.DisableAfterFailedDeliveries + " fully failed delivery(ies)")}; ping sends {options.PingType}");
            await io.Out.WriteLineAsync($"  jobs:           POST {root}/v1beta/models/<model>:batchGenerateContent, :predictLongRunning, /v1beta/interactions; then POST {root}/emulator/jobs/finish {{\"name\": ...}}");
            await io.Out.WriteLineAsync("                  (no webhook_config uris: to every enabled registered webhook subscribed to the type, v1; with uris: to those only, v1a)");
            await io.Out.WriteLineAsync("  local only:     Host must be localhost, 127.0.0.1 or [::1] (421 otherwise); POSTs must be application/json (415 otherwise)");
            await io.Out.WriteLineAsync("Ctrl+C to stop.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: the normal way to stop.
            }
            return 0;
        });
        return command;
    }

    static Command TriggerCommand(CliIo io)
    {
        var emulator = UriOption.Create("--emulator", "The emulator's address.", "http://127.0.0.1:8787");
        var type = new Option<string>("--type")
        {
            Description = $"Event type: {SampleEvents.CatalogText}. Another name reaches only a --uri delivery, or webhooks created under emulate --allow-unlisted-events.",
            Required = true,
        };
        var data = new Option<string?>("--data") { Description = "JSON object for the event's data (default: a sample for the type)." };
        var uri = UriOption.Create("--uri", "Deliver once to this URI as a dynamic webhook (signed with the emulator's keys) instead of to the registered webhooks.");
        var format = new Option<string>("--format") { Description = "Dynamic signature: v1a (Ed25519, what Gemini sends) or jwt (RS256, what Gemini's docs describe).", DefaultValueFactory = _ => "v1a" };
        format.AcceptOnlyFromAmong("jwt", "v1a");
        var audience = new Option<string?>("--audience") { Description = "JWT aud for dynamic deliveries (default: the --uri)." };
        var userMetadata = new Option<string?>("--user-metadata") { Description = "JSON object carried as the envelope's user_metadata (dynamic deliveries)." };
        var wait = new Option<bool>("--wait") { Description = "Wait until every delivery succeeded or ran out of attempts, and print the outcome." };
        var json = new Option<bool>("--json") { Description = "Print the emulator's JSON answer." };
        var command = new Command("trigger", "Ask a running emulator to fire an event: to every enabled webhook subscribed to the type, or (--uri) to one ad-hoc dynamic URI.")
        {
            emulator, type, data, uri, format, audience, userMetadata, wait, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var request = new JsonObject { ["type"] = parse.GetRequiredValue(type) };
            if (parse.GetValue(data) is { } d) request["data"] = CliJson.ParseObject(d, "--data");
            if (parse.GetValue(uri) is { } u)
            {
                request["uri"] = u.ToString();
                request["format"] = parse.GetValue(format);
                if (parse.GetValue(audience) is { } a) request["audience"] = a;
                if (parse.GetValue(userMetadata) is { } m) request["user_metadata"] = CliJson.ParseObject(m, "--user-metadata");
            }
            using var http = new HttpClient { BaseAddress = parse.GetRequiredValue(emulator), Timeout = TimeSpan.FromSeconds(30) };
            using var response = await http.PostAsJsonAsync("/emulator/trigger", request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                throw new CliException($"the emulator answered {(int)response.StatusCode}: {text}");
            var deliveries = (JsonNode.Parse(text)?["deliveries"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (parse.GetValue(wait))
                deliveries = await WaitAsync(http, deliveries, ct);
            if (parse.GetValue(json))
            {
                await io.Out.WriteLineAsync(new JsonObject { ["deliveries"] = new JsonArray([.. deliveries.Select(x => x.DeepClone())]) }.ToJsonString(CliJson.Pretty));
                return 0;
            }
            if (deliveries.Count == 0)
                await io.Out.WriteLineAsync("no deliveries: no enabled webhook is subscribed to this type (see `geminihooks webhooks list --base-url ...`).");
            foreach (var delivery in deliveries)
                await io.Out.WriteLineAsync($"{(string?)delivery["id"]} {(string?)delivery["type"]} -> {(string?)delivery["uri"]}: {(string?)delivery["state"]} ({(delivery["attempts"] as JsonArray)?.Count ?? 0} attempt(s))");
            return deliveries.All(x => (string?)x["state"] is "delivered" or "pending") ? 0 : 1;
        });
        return command;
    }

    static async Task<List<JsonObject>> WaitAsync(HttpClient http, List<JsonObject> deliveries, CancellationToken ct)
    {
        var done = new List<JsonObject>();
        foreach (var delivery in deliveries)
        {
            while (true)
            {
                var current = await http.GetFromJsonAsync<JsonObject>($"/emulator/deliveries/{(string?)delivery["id"]}", ct)
                    ?? throw new CliException("the emulator answered an empty body.");
                if ((string?)current["state"] != "pending")
                {
                    done.Add(current);
                    break;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            }
        }
        return done;
    }
}
