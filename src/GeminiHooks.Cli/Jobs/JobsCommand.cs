using System.CommandLine;
using System.Net;
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
    /// <summary><c>track NAME</c>: start tracking one job.</summary>
    public static Command CreateTrack(CliIo io)
    {
        var receiver = AdminClient.Options();
        var name = new Argument<string>("name") { Description = "The job: batches/<id>, models/<model>/operations/<id> or interactions/<id>." };
        var command = new Command("track", "Have the receiver track a Gemini job and reconcile it if its webhook never arrives.")
        {
            name, receiver.Url, receiver.AdminKey,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var http = receiver.Http(parse);
            using var body = new StringContent(new JsonObject { ["name"] = parse.GetRequiredValue(name) }.ToJsonString(),
                Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("admin/jobs", body, ct);
            var job = await AdminClient.ReadAsync(response, ct);
            await io.Out.WriteLineAsync($"{(response.StatusCode == HttpStatusCode.Created ? "tracking" : "already tracked")}: {Line(job)}");
            return 0;
        });
        return command;
    }

    /// <summary><c>jobs list</c> and <c>jobs untrack NAME</c>.</summary>
    public static Command CreateJobs(CliIo io)
    {
        var receiver = AdminClient.Options();
        var list = new Command("list", "List the jobs the receiver tracks, with their status and outcome.") { receiver.Url, receiver.AdminKey };
        list.SetAction(async (parse, ct) =>
        {
            using var http = receiver.Http(parse);
            using var response = await http.GetAsync("admin/jobs", ct);
            var jobs = (await AdminClient.ReadAsync(response, ct))["jobs"]?.AsArray() ?? [];
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
            using var http = receiver.Http(parse);
            var job = parse.GetRequiredValue(name);
            using var response = await http.DeleteAsync("admin/jobs/" + string.Join('/', job.Split('/').Select(Uri.EscapeDataString)), ct);
            await AdminClient.ReadAsync(response, ct);
            await io.Out.WriteLineAsync("untracked: " + job);
            return 0;
        });
        return new Command("jobs", "The Gemini jobs the receiver tracks for reconciliation.") { list, untrack };
    }

    static string Line(JsonObject job)
    {
        var outcome = job["outcome"] is JsonObject o
            ? $", outcome {Text(o["type"])}{(o["reconciled"] is JsonValue r && r.TryGetValue<bool>(out var reconciled) && reconciled ? " (reconciled)" : "")}"
            : "";
        return $"{Text(job["name"])}  {Text(job["status"])}{(Text(job["job_state"]) is { } state ? $" ({state})" : "")}{outcome}";
    }

    static string? Text(JsonNode? node) => AdminClient.Text(node);
}
