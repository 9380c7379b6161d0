using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;

namespace GeminiHooks.Cli.Handlers;

/// <summary>
/// <c>geminihooks handlers list|pause|resume</c>: the receiver's handlers (its operator API, <c>/admin/handlers</c>),
/// their state and backlog, and holding or releasing one of them on every replica.
/// </summary>
internal static class HandlersCommand
{
    /// <summary>The longest last error a table row shows; <c>--json</c> has it whole.</summary>
    const int ErrorWidth = 80;

    public static Command Create(CliIo io)
    {
        var receiver = AdminClient.Options();
        var json = new Option<bool>("--json") { Description = "Print the receiver's JSON instead of a table.", Recursive = true };

        var list = new Command("list", "List the handlers with their state (active, paused, open, half_open), backlog and last error.")
        {
            receiver.Url, receiver.AdminKey,
        };
        list.SetAction(async (parse, ct) =>
        {
            using var http = receiver.Http(parse);
            using var response = await http.GetAsync("admin/handlers", ct);
            var body = await AdminClient.ReadAsync(response, ct);
            await io.Out.WriteLineAsync(parse.GetValue(json)
                ? body.ToJsonString(Indented)
                : Table(body["handlers"]?.AsArray() ?? []));
            return 0;
        });

        return new Command("handlers", "The receiver's handlers: list them, pause one (its pairs wait, keeping their attempts) or resume it.")
        {
            json, list, SetState(io, receiver, json, "pause", "Pause a handler on every replica: its pairs wait in the store, spending no attempts, until resumed."),
            SetState(io, receiver, json, "resume", "Resume a paused handler: its waiting pairs run."),
        };
    }

    static Command SetState(CliIo io, AdminClient receiver, Option<bool> json, string verb, string description)
    {
        var name = new Argument<string>("name") { Description = "The handler's name, as `handlers list` shows it." };
        var command = new Command(verb, description) { name, receiver.Url, receiver.AdminKey };
        command.SetAction(async (parse, ct) =>
        {
            using var http = receiver.Http(parse);
            var handler = parse.GetRequiredValue(name);
            using var response = await http.PostAsync($"admin/handlers/{Uri.EscapeDataString(handler)}/{verb}", content: null, ct);
            var body = await AdminClient.ReadAsync(response, ct);
            await io.Out.WriteLineAsync(parse.GetValue(json)
                ? body.ToJsonString(Indented)
                : $"{AdminClient.Text(body["name"]) ?? handler}: {AdminClient.Text(body["state"])}");
            return 0;
        });
        return command;
    }

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    static string Table(JsonArray handlers)
    {
        if (handlers.Count == 0)
            return "no handlers";
        string[] header = ["NAME", "TYPE", "STATE", "PENDING", "RUNNING", "DEAD", "LIMITS", "LAST ERROR"];
        var rows = handlers.OfType<JsonObject>().Select(h => new[]
        {
            Cell(h["name"]), Cell(h["type"]), Cell(h["state"]), Cell(h["pending"]), Cell(h["running"]), Cell(h["dead"]),
            Limits(h), OneLine(AdminClient.Text(h["last_error"])),
        }).ToList();
        var widths = header.Select((title, i) => Math.Max(title.Length, rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
            text.AppendLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
        return text.ToString().TrimEnd();
    }

    /// <summary>The flow settings in effect, shortly: attempts, concurrency, and a rate limit or breaker when set.</summary>
    static string Limits(JsonObject handler)
    {
        var parts = new List<string>
        {
            $"attempts {Cell(handler["retry"]?["max_attempts"])}",
            $"concurrency {Cell(handler["concurrency"])}",
        };
        if (handler["rate_limit"] is JsonObject rate)
            parts.Add($"{Cell(rate["per_second"])}/s");
        if (handler["circuit_breaker"] is JsonObject breaker)
            parts.Add($"breaker {Cell(breaker["failures"])}/{Cell(breaker["failure_threshold"])}");
        return string.Join(", ", parts);
    }

    static string Cell(JsonNode? node) => node switch
    {
        null => "-",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };

    /// <summary>An error as one table cell: control characters (a downstream's text) flattened, long ones cut.</summary>
    static string OneLine(string? error)
    {
        if (string.IsNullOrEmpty(error))
            return "-";
        var flat = new string(error.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return flat.Length <= ErrorWidth ? flat : flat[..(ErrorWidth - 1)] + "…";
    }
}
