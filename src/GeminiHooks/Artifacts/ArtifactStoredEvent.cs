using System.Globalization;
using System.Text.Json;
using GeminiHooks.Dispatch;
using GeminiHooks.Storage;

namespace GeminiHooks.Artifacts;

/// <summary>
/// <c>artifact.stored</c>, this receiver's own event type: stored like a delivery (endpoint <c>artifacts</c>, webhook id
/// <c>artifact_{family}_{job id}</c>, so storing it twice is a duplicate) and dispatched to every handler whose
/// <c>Events</c> take it, so an http, slack or broker handler can announce "results ready" without code.
/// </summary>
internal sealed class ArtifactStoredEvent(IEventStore store, IHandlerCatalog catalog, TimeProvider time)
{
    public const string Type = "artifact.stored";
    public const string Endpoint = "artifacts";

    public async Task AnnounceAsync(ArtifactRecord artifact, long size, string sha256, string location, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", Type);
            json.WriteString("version", "v1");
            json.WriteString("timestamp", now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteStartObject("data");
            json.WriteString("id", artifact.Job);
            json.WriteString("job", artifact.Job);
            json.WriteString("family", artifact.Family);
            json.WriteString("kind", artifact.Kind);
            json.WriteString("file", artifact.File);
            json.WriteString("location", location);
            json.WriteNumber("size", size);
            json.WriteString("sha256", sha256);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        var delivery = new IncomingDelivery(Endpoint, $"artifact_{artifact.Family}_{artifact.JobId}", now.ToUnixTimeSeconds(), now, Type,
            buffer.ToArray(), catalog.HandlersFor(Type));
        await store.AcceptAsync(delivery, cancellationToken);
    }
}
