using GeminiHooks.Events;
using GeminiHooks.Handlers;
using GeminiHooks.Reconciliation;
using GeminiHooks.Storage;

namespace GeminiHooks.Artifacts;

/// <summary>
/// The built-in handler <c>artifacts</c> (in the handler set while <c>Artifacts:Enabled</c>): for each <c>batch.succeeded</c>
/// and <c>video.generated</c> the dispatcher runs (delivered or synthesized by reconciliation; only a job's first terminal
/// event runs handlers), it records the job's artifact, due now. The download itself runs in <see cref="ArtifactWorker"/>,
/// so a slow or failing download never holds a dispatcher.
/// </summary>
internal sealed class ArtifactCollector(IEventStore store, ArtifactWakeup wakeup)
    : IGeminiEventHandler<BatchSucceeded>, IGeminiEventHandler<VideoGenerated>
{
    public const string HandlerName = "artifacts";

    public Task HandleAsync(BatchSucceeded @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        // output_file_uri is the responses file's name (files/…) when the batch wrote one; empty when it must be read.
        var file = @event.OutputFileUri is { } uri && uri.StartsWith("files/", StringComparison.Ordinal) ? uri : "";
        return AddAsync(JobFamily.Batch, @event.Id, ArtifactKind.Responses, file, @event, cancellationToken);
    }

    public Task HandleAsync(VideoGenerated @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return AddAsync(JobFamily.Video, @event.Id, ArtifactKind.Video, VideoFile(@event), @event, cancellationToken);
    }

    /// <summary>The video's file as <c>files/{id}</c>: from <c>file_name</c>, <c>file_id</c>, or the id in a download URI.</summary>
    internal static string VideoFile(VideoGenerated e)
    {
        if (e.FileName is { Length: > 6 } name && name.StartsWith("files/", StringComparison.Ordinal))
            return name;
        if (e.FileId is { Length: > 0 } id && JobNames.IsApiId(id))
            return "files/" + id;
        var uri = e.OutputFileUri ?? e.VideoUri;
        var at = uri?.IndexOf("/files/", StringComparison.Ordinal) ?? -1;
        if (at < 0)
            return "";
        var rest = uri![(at + "/files/".Length)..];
        var end = rest.IndexOfAny([':', '?', '/']);
        var fileId = end < 0 ? rest : rest[..end];
        return JobNames.IsApiId(fileId) ? "files/" + fileId : "";
    }

    async Task AddAsync(string family, string? rawId, string kind, string file, GeminiEvent e, CancellationToken cancellationToken)
    {
        if (store is not IArtifactRecords records || rawId is null || JobNames.Normalize(rawId) is not { Length: > 0 } jobId || !JobNames.IsApiId(jobId))
            return;
        var job = rawId.Contains('/', StringComparison.Ordinal) ? rawId : family == JobFamily.Batch ? "batches/" + rawId : rawId;
        await records.AddArtifactAsync(new ArtifactRequest(family, jobId, job, kind, file, e.Delivery.ReceivedAt), cancellationToken);
        wakeup.Set();
    }
}
