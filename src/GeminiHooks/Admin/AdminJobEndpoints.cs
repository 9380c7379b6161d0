using System.Text.Json;
using GeminiHooks.Configuration;
using GeminiHooks.Http;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Admin;

/// <summary>
/// <c>/admin/jobs</c>: tracked jobs (docs/reconciliation.md). A job is named as Gemini names it (<c>batches/…</c>,
/// <c>models/…/operations/…</c>, <c>interactions/…</c>); its outcome shows whether it was delivered or reconciled,
/// with the duplicates and reconcile conflicts that followed.
/// </summary>
static class AdminJobEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPost("/jobs", TrackAsync);
        admin.MapGet("/jobs", ListAsync);
        admin.MapGet("/jobs/{**name}", GetAsync);
        admin.MapDelete("/jobs/{**name}", UntrackAsync);
        admin.MapGet("/webhooks", Watchdog);
    }

    /// <summary>The watchdog's last look at the webhooks, with what it flagged.</summary>
    static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<AdminWatchdog> Watchdog(WebhookWatchdog watchdog, IOptionsMonitor<GeminiHooksOptions> options)
    {
        var snapshot = watchdog.Snapshot;
        return TypedResults.Json(new AdminWatchdog(options.CurrentValue.Watchdog.Enabled, snapshot.CheckedAt,
            snapshot.Webhooks.Select(w => new AdminWatchedWebhook(w.Id, w.Name, w.State, w.SubscribedEvents)).ToList(),
            snapshot.Flags.Select(f => new AdminWatchdogFlag(f.Kind, f.Webhook, f.Detail)).ToList(), snapshot.Error),
            AdminJobJsonContext.Default.AdminWatchdog);
    }

    static async Task<IResult> TrackAsync(HttpRequest request, GeminiJobTracker tracker, IEventStore store, CancellationToken cancellationToken)
    {
        string? name;
        try
        {
            name = (await JsonSerializer.DeserializeAsync(request.Body, AdminJobJsonContext.Default.AdminTrackRequest, cancellationToken))?.Name;
        }
        catch (JsonException)
        {
            name = null;
        }
        if (JobNames.Parse(name) is not { } key)
            return BadRequest(name is null
                ? $"Send {{\"name\": \"<job>\"}}, the job being {JobNames.Forms}."
                : $"name is not a job name the Gemini API forms: {JobNames.Forms}.");
        if (store is not IJobStore jobs)
            return ProblemResponse.Result(StatusCodes.Status409Conflict, "The configured store keeps no tracked jobs.");
        var created = await tracker.TrackAsync(name!, cancellationToken);
        var job = await jobs.GetAsync(key, cancellationToken);
        return TypedResults.Json(ToDto(job!, []), AdminJobJsonContext.Default.AdminTrackedJob,
            statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    static async Task<IResult> ListAsync(IEventStore store, CancellationToken cancellationToken)
    {
        if (store is not IJobStore jobs)
            return TypedResults.Json(new AdminJobList([]), AdminJobJsonContext.Default.AdminJobList);
        var list = await jobs.ListAsync(500, cancellationToken);
        return TypedResults.Json(new AdminJobList(list.Select(j => ToDto(j, [])).ToList()), AdminJobJsonContext.Default.AdminJobList);
    }

    static async Task<IResult> GetAsync(string name, IEventStore store, CancellationToken cancellationToken)
    {
        if (JobNames.Parse(name) is not { } key)
            return BadRequest($"The path must name a job: {JobNames.Forms}.");
        if (store is not IJobStore jobs || await jobs.GetAsync(key, cancellationToken) is not { } job)
            return NotFound();
        var followers = await jobs.FollowersAsync(key, cancellationToken);
        return TypedResults.Json(ToDto(job, followers), AdminJobJsonContext.Default.AdminTrackedJob);
    }

    static async Task<IResult> UntrackAsync(string name, IEventStore store, CancellationToken cancellationToken)
    {
        if (JobNames.Parse(name) is not { } key)
            return BadRequest($"The path must name a job: {JobNames.Forms}.");
        if (store is not IJobStore jobs || !await jobs.UntrackAsync(key, cancellationToken))
            return NotFound();
        return Results.NoContent();
    }

    static AdminTrackedJob ToDto(TrackedJob job, IReadOnlyList<JobFollower> followers) => new(
        job.Name, job.Family, job.JobId, job.Status, job.CreatedAt, job.NextPollAt, job.Polls, job.JobState, job.EndedAt, job.LastError,
        job.Outcome is { } o ? new AdminJobOutcome(o.EventType, o.Endpoint, o.WebhookId, o.RawId, o.Reconciled, o.At, o.Duplicates, o.Conflicts) : null,
        followers.Count == 0 ? null : followers.Select(f => new AdminJobFollower(f.Kind, f.EventType, f.Endpoint, f.WebhookId, f.RawId, f.Reconciled, f.At)).ToList());

    static IResult NotFound() => ProblemResponse.Result(StatusCodes.Status404NotFound, "No such tracked job.");

    static IResult BadRequest(string detail) => ProblemResponse.Result(StatusCodes.Status400BadRequest, detail);
}

