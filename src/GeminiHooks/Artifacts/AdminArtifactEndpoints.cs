using System.Globalization;
using GeminiHooks.Http;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;

namespace GeminiHooks.Artifacts;

/// <summary>
/// <c>GET /admin/artifacts?status=&amp;job=&amp;limit=</c> (newest first) and <c>GET /admin/artifacts/{job}</c> (one job's
/// artifact with each result handler's checkpoint; <c>?download=true</c> streams the stored copy). A job is named as its
/// event names it (<c>batches/…</c>, <c>models/…/operations/…</c>) or by its bare id.
/// </summary>
static class AdminArtifactEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/artifacts", ListAsync);
        admin.MapGet("/artifacts/{**job}", GetAsync);
    }

    static async Task<IResult> ListAsync(HttpRequest request, IEventStore store, CancellationToken cancellationToken)
    {
        var status = request.Query["status"].ToString();
        if (status.Length > 0 && !ArtifactStatus.All.Contains(status))
            return BadRequest($"status is one of {string.Join(", ", ArtifactStatus.All)}");
        var limit = 100;
        var limitText = request.Query["limit"].ToString();
        if (limitText.Length > 0 && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
            return BadRequest("limit must be a number from 1 to 1000");
        string? family = null, jobId = null;
        var job = request.Query["job"].ToString();
        if (job.Length > 0 && !TryParseJob(job, out family, out jobId))
            return BadRequest($"job must name a batch or video: {JobNames.Forms}");
        if (store is not IArtifactRecords records)
            return TypedResults.Json(new AdminArtifactList([]), AdminArtifactJsonContext.Default.AdminArtifactList);
        var list = await records.ListArtifactsAsync(status.Length > 0 ? status : null, family, jobId, limit, cancellationToken);
        return TypedResults.Json(new AdminArtifactList(list.Select(a => ToDto(a, null)).ToList()), AdminArtifactJsonContext.Default.AdminArtifactList);
    }

    static async Task<IResult> GetAsync(string job, HttpRequest request, IEventStore store, IArtifactStore artifactStore,
        CancellationToken cancellationToken)
    {
        if (!TryParseJob(job, out var family, out var jobId))
            return BadRequest($"The path must name a batch or video: {JobNames.Forms}");
        if (store is not IArtifactRecords records ||
            await records.ListArtifactsAsync(null, family, jobId, 1, cancellationToken) is not [var artifact])
            return ProblemResponse.Result(StatusCodes.Status404NotFound, "No artifact for this job.");
        if (string.Equals(request.Query["download"], "true", StringComparison.OrdinalIgnoreCase))
        {
            if (artifact is not { Status: ArtifactStatus.Stored, Location: { } location })
                return ProblemResponse.Result(StatusCodes.Status409Conflict, $"The artifact is {artifact.Status}, not stored.");
            var stream = await artifactStore.OpenReadAsync(location, cancellationToken);
            return Results.Stream(stream, artifact.Kind == ArtifactKind.Video ? "video/mp4" : "application/jsonl");
        }
        var checkpoints = await records.ListCheckpointsAsync(artifact.Id, cancellationToken);
        return TypedResults.Json(ToDto(artifact, checkpoints.Select(c => new AdminArtifactCheckpoint(c.Handler, c.Line, c.Done, c.Error)).ToList()),
            AdminArtifactJsonContext.Default.AdminArtifact);
    }

    /// <summary>A job name the API forms (batch or video), or a bare id (any family).</summary>
    static bool TryParseJob(string job, out string? family, out string? jobId)
    {
        family = null;
        jobId = null;
        if (JobNames.Parse(job) is { } key)
        {
            if (key.Family is not (JobFamily.Batch or JobFamily.Video))
                return false;
            (family, jobId) = (key.Family, key.JobId);
            return true;
        }
        if (!JobNames.IsApiId(job))
            return false;
        jobId = job;
        return true;
    }

    static AdminArtifact ToDto(ArtifactRecord a, IReadOnlyList<AdminArtifactCheckpoint>? checkpoints) => new(
        a.Job, a.Family, a.Kind, a.File, a.Status, a.EventAt, a.Size, a.BytesDone, a.Sha256, a.Location, a.FetchedAt, a.SourceExpiresAt,
        a.Attempts, a.NextAttemptAt, a.LastError, checkpoints);

    static IResult BadRequest(string detail) => ProblemResponse.Result(StatusCodes.Status400BadRequest, detail);
}
