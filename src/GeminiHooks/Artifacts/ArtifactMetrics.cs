using System.Diagnostics.Metrics;
using GeminiHooks.Observability;

namespace GeminiHooks.Artifacts;

/// <summary>
/// The artifact metrics, on the <c>GeminiHooks</c> meter: artifacts stored, expired at the source and failed, bytes
/// stored, result lines handed to handlers, and the count not stored within <c>Artifacts:StoredWithin</c> of their event
/// (refreshed by the worker, read by the alert rule).
/// </summary>
internal sealed class ArtifactMetrics
{
    readonly Counter<long> _stored;
    readonly Counter<long> _expired;
    readonly Counter<long> _failed;
    readonly Counter<long> _bytes;
    readonly Counter<long> _lines;
    long _overdue;

    public ArtifactMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(GeminiHooksMetrics.MeterName);
        _stored = meter.CreateCounter<long>("geminihooks.artifacts.stored", "{artifact}", "Artifacts stored, by kind.");
        _expired = meter.CreateCounter<long>("geminihooks.artifacts.expired", "{artifact}",
            "Artifacts gone at the source (404) before they were stored, by kind: their results are lost.");
        _failed = meter.CreateCounter<long>("geminihooks.artifacts.failed", "{artifact}",
            "Artifacts given up after Artifacts:MaxAttempts tries, by kind.");
        _bytes = meter.CreateCounter<long>("geminihooks.artifacts.stored_bytes", "By", "Bytes of the artifacts stored.");
        _lines = meter.CreateCounter<long>("geminihooks.artifacts.result_lines", "{line}", "Result lines handed to result handlers, by handler.");
        // Zero series from the start, so a scrape (and the dashboard) shows the counters before the first artifact.
        foreach (var kind in new[] { ArtifactKind.Responses, ArtifactKind.Video })
        {
            _stored.Add(0, new KeyValuePair<string, object?>("kind", kind));
            _expired.Add(0, new KeyValuePair<string, object?>("kind", kind));
            _failed.Add(0, new KeyValuePair<string, object?>("kind", kind));
        }
        _bytes.Add(0);
        meter.CreateObservableGauge("geminihooks.artifacts.overdue", () => Interlocked.Read(ref _overdue), "{artifact}",
            "Artifacts not stored (nor expired) Artifacts:StoredWithin after their event.");
    }

    public void Stored(string kind, long bytes)
    {
        _stored.Add(1, new KeyValuePair<string, object?>("kind", kind));
        _bytes.Add(bytes);
    }

    public void Expired(string kind) => _expired.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void Failed(string kind) => _failed.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void Lines(string handler, long count) => _lines.Add(count, new KeyValuePair<string, object?>("handler", handler));

    public void Overdue(long count) => Interlocked.Exchange(ref _overdue, count);
}
