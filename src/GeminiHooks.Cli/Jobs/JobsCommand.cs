using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;

namespace GeminiHooks.Cli.Jobs;

/// <summary>
/// <c>geminihooks track NAME</c> and <c>geminihooks jobs list|untrack</c>: the receiver's tracked jobs (its operator API,
/// <c>/admin/jobs</c>), which reconciliation polls so that a job whose webhook never arrived still runs its handlers.
/// </summary>
internal static class JobsCommand
{
    sealed record Receiver(Option<Uri> Url, Option<string?> AdminKey);

    static Receiver ReceiverOptions() => new(
        UriOption.Create("--receiver", "The receiver's base URL.", "http://127.0.0.1:8080"),
        new Option<string?>("--admin-key") { Description = "The receiver's GeminiHooks:Admin:ApiKey (default: env GEMINIHOOKS_ADMIN_KEY)." });

    /// <summary><c>track NAME</c>: start tracking one job.</summary>
    public static Command CreateTrack(CliIo io)
    {
        var receiver = ReceiverOptions();
        var name = new Argument<string>("name") { Description = "The job: batches/<id>, models/<model>/operations/<id> or interactions/<id>." };
        var command = new Command("track", "Have the receiver track a Gemini job and reconcile it if its webhook never arrives.")
        {
            name, receiver.Url, receiver.AdminKey,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Http(parse, receiver);
            using var body = new StringContent(new JsonObject { ["name"] = parse.GetRequiredValue(name) }.ToJsonString(),
                Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("admin/jobs", body, ct);
            var job = await ReadAsync(response, ct);
            await io.Out.WriteLineAsync($"{(response.StatusCode == HttpStatusCode.Created ? "tracking" : "already tracked")}: {Line(job)}");
            return 0;
        });
        return command;
    }

    /// <summary><c>jobs list</c> and <c>jobs untrack NAME</c>.</summary>
    public static Command CreateJobs(CliIo io)
    {
        var receiver = ReceiverOptions();
        var list = new Command("list", "List the jobs the receiver tracks, with their status and outcome.") { receiver.Url, receiver.AdminKey };
        list.SetAction(async (parse, ct) =>
        {
            using var http = Http(parse, receiver);
            using var response = await http.GetAsync("admin/jobs", ct);
            var jobs = (await ReadAsync(response, ct))["jobs"]?.AsArray() ?? [];
            foreach (var job in jobs)
                await io.Out.WriteLineAsync(Line(job!.AsObject()));
            if (jobs.Count == 0)
                await io.Out.WriteLineAsync("no tracked jobs");
            return 0;
        });

        var name = new Argument<string>("name") { Description = "The tracked job's name." };
        var untrack = new Command("untrack", "Stop tracking a job (its recorded outcome stays).") { name, receiver.Url, receiver.AdminKey };
        untrack.SetAction(async (parse, ct) =>
        {
            using var http = Http(parse, receiver);
            var job = parse.GetRequiredValue(name);
            using var response = await http.DeleteAsync("admin/jobs/" + string.Join('/', job.Split('/').Select(Uri.EscapeDataString)), ct);
            await ReadAsync(response, ct);
            await io.Out.WriteLineAsync("untracked: " + job);
            return 0;
        });
        return new Command("jobs", "The Gemini jobs the receiver tracks for reconciliation.") { list, untrack };
    }

    static HttpClient Http(ParseResult parse, Receiver receiver)
    {
        var key = parse.GetValue(receiver.AdminKey) ?? Environment.GetEnvironmentVariable("GEMINIHOOKS_ADMIN_KEY");
        if (string.IsNullOrEmpty(key))
            throw new CliException("the receiver's admin key is required: --admin-key or env GEMINIHOOKS_ADMIN_KEY");
        var baseUrl = parse.GetRequiredValue(receiver.Url).ToString();
        var http = new HttpClient { BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>The answer as JSON, or a CLI error with the receiver's problem detail (never the admin key).</summary>
    static async Task<JsonObject> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonObject? body = null;
        try { body = text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject; }
        catch (System.Text.Json.JsonException) { }
        if (!response.IsSuccessStatusCode)
            throw new CliException($"the receiver answered {(int)response.StatusCode}: {Text(body?["detail"]) ?? response.ReasonPhrase}");
        return body ?? [];
    }

    static string Line(JsonObject job)
    {
        var outcome = job["outcome"] is JsonObject o
            ? $", outcome {Text(o["type"])}{(o["reconciled"] is JsonValue r && r.TryGetValue<bool>(out var reconciled) && reconciled ? " (reconciled)" : "")}"
            : "";
        return $"{Text(job["name"])}  {Text(job["status"])}{(Text(job["job_state"]) is { } state ? $" ({state})" : "")}{outcome}";
    }

    static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
