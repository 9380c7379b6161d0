using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;

namespace GeminiHooks.Cli.Events;

/// <summary>
/// <c>geminihooks events search|replay KEY=VALUE…</c>: find stored events and replay them through the receiver's operator
/// API. The filters are the API's own search keys (<c>job=batches/123</c>, <c>type=batch.*</c>, <c>meta.team=red</c>,
/// …), passed through as given, so the receiver alone decides what is valid and names a bad key.
/// </summary>
internal static class EventsCommand
{
    public static Command Create(CliIo io)
    {
        ArgumentNullException.ThrowIfNull(io);
        return new Command("events", "Search the receiver's stored events and replay what a search matches.") { Search(io), Replay(io) };
    }

    static Argument<string[]> Filters() => new("filters")
    {
        Description = "Search keys as KEY=VALUE: job, type (exact or prefix.*), status, endpoint, handler, handler_status, from, to (RFC 3339), meta.<key>, q.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    static Command Search(CliIo io)
    {
        var receiver = AdminClient.Options();
        var filters = Filters();
        var limit = new Option<int>("--limit") { Description = "Events per page (1 to 500).", DefaultValueFactory = _ => 50 };
        var cursor = new Option<string?>("--cursor") { Description = "The next_cursor a previous search printed." };
        var json = new Option<bool>("--json") { Description = "Print the receiver's JSON page instead of a table." };
        var command = new Command("search", "List stored events a search matches, newest first, one per line.")
        {
            filters, limit, cursor, json, receiver.Url, receiver.AdminKey,
        };
        command.SetAction(async (parse, ct) =>
        {
            var query = new StringBuilder("admin/events?limit=").Append(parse.GetValue(limit).ToString(CultureInfo.InvariantCulture));
            if (parse.GetValue(cursor) is { } next)
                query.Append("&cursor=").Append(Uri.EscapeDataString(next));
            foreach (var (key, value) in Pairs(parse.GetValue(filters)))
                query.Append('&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
            using var http = receiver.Http(parse);
            using var response = await http.GetAsync(query.ToString(), ct);
            var page = await AdminClient.ReadAsync(response, ct);
            if (parse.GetValue(json))
            {
                await io.Out.WriteLineAsync(page.ToJsonString());
                return 0;
            }
            var events = page["events"]?.AsArray() ?? [];
            foreach (var e in events)
                await io.Out.WriteLineAsync(Line(e!.AsObject()));
            if (events.Count == 0)
                await io.Out.WriteLineAsync("no events match");
            if (AdminClient.Text(page["next_cursor"]) is { } more)
                await io.Out.WriteLineAsync($"more: --cursor {more}");
            return 0;
        });
        return command;
    }

    static Command Replay(CliIo io)
    {
        var receiver = AdminClient.Options();
        var filters = Filters();
        var handlers = new Option<string[]>("--handler") { Description = "Replay to this handler only (repeatable); default: every handler that takes each event." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only count the events a replay would queue." };
        var yes = new Option<bool>("--yes") { Description = "Replay them (without it, or --dry-run, nothing is asked of the receiver)." };
        var command = new Command("replay", "Replay every stored event a search matches, in the background on the receiver, and follow its progress.")
        {
            filters, handlers, dryRun, yes, receiver.Url, receiver.AdminKey,
        };
        command.SetAction(async (parse, ct) =>
        {
            // A replay runs handlers again: it is never the default of a command that was only meant to count.
            if (parse.GetValue(dryRun) == parse.GetValue(yes))
                throw new CliException("say --dry-run to count the matching events, or --yes to replay them");
            var filter = new JsonObject();
            foreach (var (key, value) in Pairs(parse.GetValue(filters)))
                filter[key] = value;
            var body = new JsonObject { ["filter"] = filter, ["dry_run"] = parse.GetValue(dryRun) };
            if (parse.GetValue(handlers) is { Length: > 0 } named)
                body["handlers"] = new JsonArray(named.Select(h => (JsonNode)JsonValue.Create(h)!).ToArray());
            using var http = receiver.Http(parse);
            using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("admin/replays", content, ct);
            var answer = await AdminClient.ReadAsync(response, ct);
            var matched = answer["matched"]?.GetValue<long>() ?? 0;
            if (AdminClient.Text(answer["id"]) is not { } id)
            {
                await io.Out.WriteLineAsync($"{matched} events match (dry run: nothing queued)");
                return 0;
            }
            await io.Out.WriteLineAsync($"replay {id} started: {matched} events");
            return await FollowAsync(io, http, id, ct);
        });
        return command;
    }

    /// <summary>Prints the replay's progress (on stderr, one line rewritten) until it is done (0) or failed (1).</summary>
    static async Task<int> FollowAsync(CliIo io, HttpClient http, string id, CancellationToken ct)
    {
        while (true)
        {
            using var response = await http.GetAsync($"admin/replays/{Uri.EscapeDataString(id)}", ct);
            var state = await AdminClient.ReadAsync(response, ct);
            var status = AdminClient.Text(state["status"]);
            await io.Err.WriteAsync($"\rreplay {id}: {state["enqueued"]}/{state["matched"]} queued, {status}");
            if (status is "done" or "failed")
            {
                await io.Err.WriteLineAsync();
                await io.Out.WriteLineAsync($"replay {id} {status}: {state["enqueued"]} of {state["matched"]} events queued");
                return status == "done" ? 0 : 1;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
    }

    /// <summary>KEY=VALUE arguments; the value may itself hold '=' (a body text, say).</summary>
    static IEnumerable<(string Key, string Value)> Pairs(string[]? arguments)
    {
        foreach (var argument in arguments ?? [])
        {
            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw new CliException($"a filter is KEY=VALUE, e.g. job=batches/123 (got '{argument}')");
            yield return (argument[..equals], argument[(equals + 1)..]);
        }
    }

    static string Line(JsonObject e)
    {
        var handlers = e["handlers"]?.AsArray().Select(h => $"{AdminClient.Text(h!["handler"])}:{AdminClient.Text(h!["status"])}") ?? [];
        return $"{AdminClient.Text(e["received_at"])}  {AdminClient.Text(e["type"])}  {AdminClient.Text(e["status"])}  " +
            $"{AdminClient.Text(e["endpoint"])}/{AdminClient.Text(e["webhook_id"])}  {string.Join(' ', handlers)}";
    }
}
