using System.Diagnostics.Metrics;

namespace GeminiHooks.Observability;

/// <summary>
/// The reconciliation metrics, on the same <c>GeminiHooks</c> meter as the rest (the meter factory hands out one meter
/// per name): events synthesized, reconcile conflicts, job outcomes with no Gemini event type, Gemini API requests.
/// </summary>
internal sealed class ReconcileMetrics
{
    readonly Counter<long> _synthesized;
    readonly Counter<long> _conflicts;
    readonly Counter<long> _unmapped;
    readonly Counter<long> _requests;

    public ReconcileMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(GeminiHooksMetrics.MeterName);
        _synthesized = meter.CreateCounter<long>("geminihooks.reconcile.synthesized", "{event}",
            "Events the receiver synthesized for tracked jobs that ended without a matching delivery within the grace time, by family and type.");
        _conflicts = meter.CreateCounter<long>("geminihooks.reconcile.conflicts", "{delivery}",
            "Terminal deliveries whose type differs from the job's first terminal event (real or reconciled), by family and type.");
        _unmapped = meter.CreateCounter<long>("geminihooks.reconcile.unmapped", "{job}",
            "Tracked jobs that ended in a state with no Gemini event type (nothing synthesized), by family and state.");
        _requests = meter.CreateCounter<long>("geminihooks.gemini.requests", "{request}",
            "Requests to the Gemini API by HTTP status (0: no answer).");
    }

    public void Synthesized(string family, string eventType) =>
        _synthesized.Add(1, new("family", family), new("type", eventType));

    public void Conflict(string family, string eventType) =>
        _conflicts.Add(1, new("family", family), new("type", eventType));

    public void Unmapped(string family, string state) =>
        _unmapped.Add(1, new("family", family), new("state", state));

    public void GeminiRequest(int status) => _requests.Add(1, new KeyValuePair<string, object?>("status", status));
}
